import { describe, expect, it } from "vitest";
import { choices, filterPods, podFilterFrom } from "../../../src/worker/ops/pod-filter";
import { formatFamilies } from "../../../src/worker/ops/prometheus-text";
import { podsByPhase, type PodRowView } from "../../../src/worker/ops/status-view";
import { podRowFromStatus } from "../../../src/worker/ops/pod-row";
import { parseScrape, sampleValue } from "../../support/prometheus";

const row = (over: Partial<PodRowView>): PodRowView => ({
  uid: "u",
  namespace: "default",
  name: "p",
  phase: "Running",
  machineId: null,
  machineState: null,
  region: null,
  guest: null,
  ipv6: null,
  restarts: 0,
  problem: null,
  createdAt: null,
  ...over,
});

describe("pod filter", () => {
  const pods = [
    row({ uid: "1", name: "web", namespace: "shop", machineId: "m-abc", ipv6: "fdaa::1" }),
    row({ uid: "2", name: "job", phase: "Failed", problem: { reason: "Error", message: "exit code 3" } }),
    row({ uid: "3", name: "huge", phase: "Failed", problem: { reason: "Unsupported", message: "needs 200 CPUs" } }),
  ];
  const names = (f: Partial<Record<"q" | "namespace" | "phase" | "problem", string>>) => filterPods(pods, podFilterFrom((k) => f[k as keyof typeof f])).map((p) => p.name);

  it("narrows by namespace, phase, problem and free text over machine, IP and reason", () => {
    expect(names({})).toEqual(["web", "job", "huge"]);
    expect(names({ namespace: "shop" })).toEqual(["web"]);
    expect(names({ phase: "Failed" })).toEqual(["job", "huge"]);
    expect(names({ problem: "none" })).toEqual(["web"]);
    expect(names({ problem: "any" })).toEqual(["job", "huge"]);
    expect(names({ problem: "Unsupported" })).toEqual(["huge"]);
    expect(names({ q: "M-ABC" })).toEqual(["web"]);
    expect(names({ q: "fdaa::1" })).toEqual(["web"]);
    expect(names({ q: "200 cpus", phase: "Failed" })).toEqual(["huge"]);
    expect(names({ q: "nothing" })).toEqual([]);
  });

  it("offers the namespaces and problem reasons present", () => {
    expect(choices(pods)).toEqual({ namespaces: ["default", "shop"], problems: ["Error", "Unsupported"] });
    expect(podsByPhase(pods)).toEqual({ Pending: 0, Running: 1, Succeeded: 0, Failed: 2, Unknown: 0 });
  });
});

describe("pod row from PodStatus", () => {
  it("takes machine, IPv6, guest, restarts and the failure from the status", () => {
    const r = podRowFromStatus("u1", "ns", "job", {
      phase: "Failed",
      podIP: "fdaa:0:1::2",
      startTime: "2026-11-25T10:00:00Z",
      conditions: [{ type: "machinelet.fly.io/Guest", status: "True", message: "shared-cpu-1x, 256 MB" }],
      containerStatuses: [{ name: "main", image: "busybox", imageID: "", ready: false, restartCount: 2, containerID: "fly://m1", state: { terminated: { exitCode: 3, reason: "Error" } } }],
    } as never);
    expect(r).toMatchObject({ phase: "Failed", machineId: "m1", ipv6: "fdaa:0:1::2", guest: "shared-cpu-1x, 256 MB", restarts: 2, problem: { reason: "Error", message: "exit code 3" }, createdAt: "2026-11-25T10:00:00Z" });
  });

  it("a pod that finished well has no problem; an unknown phase is Unknown", () => {
    expect(podRowFromStatus("u", "n", "p", { phase: "Succeeded", containerStatuses: [{ state: { terminated: { exitCode: 0, reason: "Completed" } } }] } as never).problem).toBeNull();
    expect(podRowFromStatus("u", "n", "p", { phase: "Weird" } as never).phase).toBe("Unknown");
  });
});

describe("Prometheus text format", () => {
  it("escapes label values so a parser reads them back", () => {
    const text = formatFamilies([{ name: "x_total", help: "a\nb \\ c", type: "counter", samples: [{ labels: { reason: 'say "hi"\n\\' }, value: 3 }] }]);
    const families = parseScrape(text);
    expect(sampleValue(families, "x_total", { reason: 'say "hi"\n\\' })).toBe(3);
    expect(families.get("x_total")?.type).toBe("COUNTER");
  });
});
