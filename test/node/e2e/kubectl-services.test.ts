/**
 * Services end to end, as users make them: `kubectl apply -f` of the Kubernetes guestbook (two
 * Services on port 6379 and a frontend) and the StatefulSet tutorial's web set (a headless
 * Service), through the whole system with the cluster DNS and the real forwarder program running
 * for every forwarder machine (the system's `services`). Over real sockets: every name form
 * resolves through Node's resolver pointed at the cluster DNS (short names as a pod's search path
 * expands them); bytes sent to a Service name reach exactly its selected Ready pods, at their
 * targetPort (the emulator's listeners answer `<machine id> <port>`; `kubectl expose --target-port`
 * makes one that differs from the Service port); membership follows scaling,
 * a rollout, readiness, relabelling, pod deletion and Service deletion; the headless Service's
 * name follows its pods' readiness.
 * Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { execFile } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_ADDRESS_ANNOTATION } from "../../../src/shared/k8s";
import { HAS_KUBECTL, KUBECTL } from "../k8s-standin/kubectl-runner";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl apply of the guestbook and the web StatefulSet: ${KUBECTL} not found`);
const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 60_000);
const manifest = (name: string) => fileURLToPath(new URL(`../../fixtures/manifests/apply/${name}`, import.meta.url));

let sys: System;
const resolver = new Resolver({ timeout: 1000, tries: 1 });

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(KUBECTL, ["--kubeconfig", sys.kubeconfigPath, ...args], { env: { ...process.env, HOME: sys.dir }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}
async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

interface KPod {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> };
}
/** IPv6 in one spelling (the emulator's mapping and the pods' status may write it differently). */
const canonical = (ip: string) => new URL(`http://[${ip}]/`).hostname.slice(1, -1);

interface NetEntry {
  kind: "machine" | "proxy";
  app: string;
  ip: string;
  port: number;
  machine_id?: string;
  loopback: string;
}
const network = async () => ((await (await fetch(`${sys.emulator.url}/_emulator/network`)).json()) as { addresses: NetEntry[] }).addresses;

/** The AAAA records the cluster DNS gives `name` (empty when it does not exist). */
async function aaaa(name: string): Promise<string[]> {
  try {
    return (await resolver.resolve6(name)).map(canonical).sort();
  } catch (e) {
    if ((e as { code?: string }).code === "ENOTFOUND" || (e as { code?: string }).code === "ENODATA") return [];
    throw e;
  }
}

/** What a connection to `ip`:`port` answers, through the emulator's loopback mapping ("" when it is refused or closed). */
async function dial(ip: string, port: number): Promise<string> {
  const entry = (await network()).find((e) => canonical(e.ip) === canonical(ip) && e.port === port);
  if (!entry) return "";
  const [host, p] = entry.loopback.split(":");
  return new Promise((resolve) => {
    const socket = connect(Number(p), host!, () => socket.write("PING\r\n"));
    let out = "";
    socket.on("data", (d) => (out += d.toString()));
    socket.on("close", () => resolve(out.trim()));
    socket.on("error", () => resolve(out.trim()));
  });
}

/**
 * The Ready pods `selector` picks (not terminating), as the answers their machines give at `port`:
 * `<machine id> <port>`, found through their pod IP (a pod's IP is its machine's 6PN address).
 */
async function readyBackends(selector: string, port: number): Promise<string[]> {
  const pods = JSON.parse(await ok("get", "pods", "-l", selector, "-o", "json")) as { items: KPod[] };
  const ready = pods.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") && p.status.podIP);
  const machines = (await network()).filter((e) => e.kind === "machine");
  return ready.map((p) => `${machines.find((e) => canonical(e.ip) === canonical(p.status!.podIP!))?.machine_id ?? `(no machine for ${p.metadata.name})`} ${port}`).sort();
}

/**
 * Where connections to Service `name` at `port` land, dialled by name as a pod would: resolved by
 * the cluster DNS, then `2n + 1` connections (the proxy takes its targets in turn, so a backend
 * more or fewer than the n expected shows).
 */
async function reached(name: string, port: number, n: number): Promise<string[]> {
  const [ip] = await aaaa(name);
  if (!ip) return [`(${name} does not resolve)`];
  const answers = new Set<string>();
  for (let i = 0; i < 2 * n + 1; i++) answers.add(await dial(ip, port));
  return [...answers].sort();
}

/** Waits until Service `name`:`port` reaches exactly the Ready pods of `selector` at `targetPort`; returns them. */
async function reachesExactly(name: string, port: number, selector: string, count: number, targetPort = port): Promise<string[]> {
  let last = "";
  return waitUntil(
    `${name}:${port} to reach exactly its ${count} Ready pod(s)`,
    async () => {
      const want = await readyBackends(selector, targetPort);
      const got = await reached(name, port, Math.max(want.length, 1));
      last = `want ${JSON.stringify(want)}, reached ${JSON.stringify(got)}`;
      if (want.length !== count || JSON.stringify(got) !== JSON.stringify(want.length ? want : [""])) throw new Error(last);
      return want;
    },
    60_000,
  );
}

/** Pod name -> IP of the pods `selector` picks. */
async function podIps(selector: string): Promise<Record<string, string>> {
  const pods = JSON.parse(await ok("get", "pods", "-l", selector, "-o", "json")) as { items: KPod[] };
  return Object.fromEntries(pods.items.map((p) => [p.metadata.name, canonical(p.status!.podIP!)]));
}
/** Makes every readiness check of a pod machine report `status` (null: as configured, passing). */
async function setChecks(machineId: string, status: "critical" | null): Promise<void> {
  const r = await fetch(`${sys.emulator.url}/_emulator/apps/${sys.app}/machines/${machineId}/checks`, { method: "PUT", body: JSON.stringify({ "*": status }) });
  expect(r.status).toBe(200);
}
const machineOf = async (ip: string) => (await network()).find((e) => e.kind === "machine" && canonical(e.ip) === ip)!.machine_id!;

const address = async (svc: string) => (JSON.parse(await ok("get", "service", svc, "-o", "json")) as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.[SERVICE_ADDRESS_ANNOTATION];
const podNames = async (selector: string) => (await ok("get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}")).split(" ").filter(Boolean).sort();

const LEADER = "app=redis,role=leader,tier=backend";
const FOLLOWER = "app=redis,role=follower,tier=backend";
const FRONTEND = "app.kubernetes.io/name=guestbook,tier=frontend";

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  // The web set's nginx listens on 80 (no Service proxies to it: only its image says so).
  sys = await startSystem({ cluster: "svckubectl", services: true, imagePorts: { "registry.k8s.io/nginx-slim:0.24": [80] } });
  resolver.setServers([`127.0.0.1:${sys.dns!.port}`]);
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

describe.skipIf(!HAS_KUBECTL)("kubectl apply of the guestbook and a headless StatefulSet: Service names and bytes", { timeout: 120_000 }, () => {
  it("every name form resolves; each Service reaches exactly its Ready pods at the targetPort; two Services on 6379 never share a backend", async () => {
    await ok("apply", "-f", manifest("guestbook.yaml"));
    await ok("apply", "-f", manifest("statefulset-web.yaml"));
    await ok("wait", "--for=condition=Ready", "pod", "-l", "app=redis", "--timeout=60s");
    await ok("wait", "--for=condition=Ready", "pod", "-l", FRONTEND, "--timeout=60s");

    for (const svc of ["redis-leader", "redis-follower", "frontend"]) {
      const ip = canonical(await waitFor(`${svc}'s Fly address`, () => address(svc)));
      // Its own Flycast address, on its own Service app.
      expect((await network()).filter((e) => e.kind === "proxy" && canonical(e.ip) === ip).map((e) => e.app)).not.toContain(sys.app);
      for (const name of [svc, `${svc}.default`, `${svc}.default.svc`, `${svc}.default.svc.cluster.local`]) {
        expect(await waitFor(`${name} resolves`, async () => (await aaaa(name)).length > 0 && aaaa(name)), name).toEqual([ip]);
      }
    }
    const leader = await reachesExactly("redis-leader", 6379, LEADER, 1);
    const followers = await reachesExactly("redis-follower.default", 6379, FOLLOWER, 2);
    await reachesExactly("frontend.default.svc.cluster.local", 80, FRONTEND, 3);
    expect(followers.filter((b) => leader.includes(b))).toEqual([]);
    // A Service's address exposes only its own ports.
    expect(await dial((await aaaa("frontend"))[0]!, 6379)).toBe("");

    // The headless Service: its name is its Ready pods' IPs, each StatefulSet pod has its own name.
    // The StatefulSet makes web-1 only once web-0 is Ready: a wait by label can return before web-1 exists.
    await ok("rollout", "status", "statefulset/web", "--timeout=60s");
    const ipOf = await podIps("app=nginx");
    expect(Object.keys(ipOf).sort()).toEqual(["web-0", "web-1"]);
    for (const name of ["nginx", "nginx.default", "nginx.default.svc", "nginx.default.svc.cluster.local"]) {
      expect(await waitFor(`${name} lists both pods`, async () => (await aaaa(name)).length === 2 && aaaa(name)), name).toEqual([ipOf["web-0"], ipOf["web-1"]].sort());
    }
    for (const name of ["web-0.nginx", "web-0.nginx.default.svc", "web-0.nginx.default.svc.cluster.local"]) expect(await aaaa(name), name).toEqual([ipOf["web-0"]]);
    expect(await aaaa("web-1.nginx")).toEqual([ipOf["web-1"]]);
    // Bytes to a pod's name reach that pod's machine at the port dialled.
    const web0 = await machineOf(ipOf["web-0"]!);
    expect(await dial((await aaaa("web-0.nginx"))[0]!, 80)).toBe(`${web0} 80`);
    // Headless: no Fly address, no Service app.
    expect(await address("nginx")).toBeUndefined();
    // A Service port that is not the pods' port: `kubectl expose` of a pod (its labels as the selector) with --target-port.
    await ok("expose", "pod", "web-0", "--name=web-0-alt", "--port=8080", "--target-port=80");
    const selector = JSON.parse(await ok("get", "service", "web-0-alt", "-o", "jsonpath={.spec.selector}")) as Record<string, string>;
    expect(await reachesExactly("web-0-alt", 8080, Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(","), 1, 80)).toEqual([`${web0} 80`]);
  });

  it("membership follows scaling, relabelling, a readiness rollout, an un-ready pod and a deleted pod", async () => {
    // Pod added.
    await ok("scale", "deployment", "frontend", "--replicas=4");
    await reachesExactly("frontend", 80, FRONTEND, 4);

    // Relabelled: the leader pod moves from one 6379 Service to the other (its ReplicaSet, which
    // selects by app and pod-template-hash, keeps it), and back.
    const [leaderPod] = await podNames(LEADER);
    await ok("label", "pod", leaderPod!, "role=follower", "--overwrite");
    await reachesExactly("redis-follower", 6379, FOLLOWER, 3);
    await reachesExactly("redis-leader", 6379, LEADER, 0);
    await ok("label", "pod", leaderPod!, "role=leader", "--overwrite");
    await reachesExactly("redis-leader", 6379, LEADER, 1);
    await reachesExactly("redis-follower", 6379, FOLLOWER, 2);

    // A readiness probe rolled out: new pods replace the old ones behind the Service.
    const before = await podNames(FOLLOWER);
    await ok("patch", "deployment", "redis-follower", "-p", JSON.stringify({ spec: { template: { spec: { containers: [{ name: "follower", readinessProbe: { tcpSocket: { port: 6379 }, periodSeconds: 2 } }] } } } }));
    await ok("rollout", "status", "deployment/redis-follower", "--timeout=60s");
    // `rollout status` is done once the new pods are available; the old ones may still be
    // terminating (their grace period), as with a real API server.
    await ok("wait", "--for=delete", ...before.map((n) => `pod/${n}`), "--timeout=50s");
    const after = await reachesExactly("redis-follower", 6379, FOLLOWER, 2);
    expect((await podNames(FOLLOWER)).filter((n) => before.includes(n))).toEqual([]);

    // Un-ready: its readiness check fails, so it leaves the Service (the pod turns Ready=False) and
    // comes back when the check passes.
    const [unreadyId] = after[0]!.split(" ");
    await setChecks(unreadyId!, "critical");
    expect(await reachesExactly("redis-follower", 6379, FOLLOWER, 1)).toEqual([after[1]]);
    await setChecks(unreadyId!, null);
    expect(await reachesExactly("redis-follower", 6379, FOLLOWER, 2)).toEqual(after);

    // Deleted: it stops receiving at once (terminating), its replacement joins.
    const frontends = await reachesExactly("frontend", 80, FRONTEND, 4);
    const [gone] = await podNames(FRONTEND);
    await ok("delete", "pod", gone!, "--wait=false");
    const now = await reachesExactly("frontend", 80, FRONTEND, 4);
    expect(now).not.toEqual(frontends);
    expect(await podNames(FRONTEND)).not.toContain(gone);
  });

  it("a headless Service's name drops a pod whose readiness check fails, and takes it back when it passes", async () => {
    // A readiness probe for the web set: a rolling update replaces both pods.
    await ok("patch", "statefulset", "web", "-p", JSON.stringify({ spec: { template: { spec: { containers: [{ name: "nginx", readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 } }] } } } }));
    await ok("rollout", "status", "statefulset/web", "--timeout=60s");
    const ipOf = await podIps("app=nginx");
    const both = [ipOf["web-0"]!, ipOf["web-1"]!].sort();
    await waitFor("nginx lists both probed pods", async () => JSON.stringify(await aaaa("nginx")) === JSON.stringify(both));
    const web1 = await machineOf(ipOf["web-1"]!);
    await setChecks(web1, "critical");
    await waitFor("nginx drops the un-ready web-1", async () => JSON.stringify(await aaaa("nginx")) === JSON.stringify([ipOf["web-0"]]));
    expect(await ok("get", "pod", "web-1", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)).toBe("False");
    await setChecks(web1, null);
    await waitFor("nginx takes web-1 back", async () => JSON.stringify(await aaaa("nginx")) === JSON.stringify(both));
    expect(await ok("get", "pod", "web-1", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)).toBe("True");
  });

  it("a deleted Service stops resolving, and its app and forwarder go", async () => {
    const ip = canonical((await address("frontend"))!);
    const app = (await network()).find((e) => e.kind === "proxy" && canonical(e.ip) === ip)!.app;
    await ok("delete", "service", "frontend");
    await waitFor("frontend stops resolving", async () => (await aaaa("frontend")).length === 0);
    await waitFor("the Service app is deleted", async () => (await fetch(`${sys.emulator.url}/v1/apps/${app}`, { headers: { authorization: `Bearer ${sys.flyToken}` } })).status === 404);
    await waitFor("nothing listens for it", async () => (await network()).every((e) => e.app !== app));
    // The other Services are untouched.
    await reachesExactly("redis-leader", 6379, LEADER, 1);
  });
});
