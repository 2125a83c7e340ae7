import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseScrape, sampleValue } from "../support/prometheus";
import { eventually, newCluster, pod, podPhase, postEvents } from "./helpers";

const scrape = async (query: string) => {
  const res = await exports.default.fetch(`http://worker/metrics${query}`, { headers: { authorization: "Bearer test-status-token" } });
  expect(res.status, await res.clone().text()).toBe(200);
  return parseScrape(await res.text());
};

describe("worker /metrics", () => {
  it("reports pods by phase, machines by state and problems per cluster, in the text format a parser accepts", async () => {
    const a = newCluster("m");
    const b = newCluster("m");
    const running = pod({ name: "web" });
    const refused = pod({ name: "huge", spec: { containers: [{ name: "main", image: "nginx", resources: { requests: { cpu: "500" } } }] } });
    await postEvents(a.cluster, [{ type: "ADDED", object: running }, { type: "ADDED", object: refused }]);
    await postEvents(b.cluster, [{ type: "ADDED", object: pod({ name: "other" }) }]);
    await podPhase(a.cluster, running.metadata.uid, "Running");
    await podPhase(a.cluster, refused.metadata.uid, "Failed");

    const m = await eventually("metrics of both clusters", async () => {
      const s = await scrape(`?cluster=${a.cluster}&cluster=${b.cluster}`);
      return sampleValue(s, "machinelet_pods", { cluster: b.cluster, phase: "Running" }) === 1 && s;
    });
    expect(m.get("machinelet_pods")?.type).toBe("GAUGE");
    expect(sampleValue(m, "machinelet_pods", { cluster: a.cluster, phase: "Running" })).toBe(1);
    expect(sampleValue(m, "machinelet_pods", { cluster: a.cluster, phase: "Failed" })).toBe(1);
    expect(sampleValue(m, "machinelet_pods", { cluster: a.cluster, phase: "Pending" })).toBe(0);
    expect(sampleValue(m, "machinelet_machines", { cluster: a.cluster })).toBe(1);
    expect(sampleValue(m, "machinelet_pods_with_problem", { cluster: a.cluster, reason: "Unsupported" })).toBe(1);
  });

  it("names a bad cluster parameter", async () => {
    const res = await exports.default.fetch("http://worker/metrics?cluster=Not_A_Name", { headers: { authorization: "Bearer test-status-token" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ path: "cluster" });
  });
});
