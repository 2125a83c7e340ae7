/**
 * Decision logs end to end (staging composition, worker at LOG_LEVEL=debug): one JSON line per
 * decision with the fields log pipelines index, for creates, refusals, recreation after a machine
 * vanished, orphans and deletes; and no credential, Secret value or signature in any line the
 * worker or the relay writes, nor on the status page or in /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/relay/log";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

const CANARIES = { flyToken: "canary-fly-token-5f1e", relaySecret: "canary-relay-secret-a9c3", statusToken: "canary-status-token-77d0", secretValue: "canary-db-password-c0ffee" };
const SIGNATURE = /v1=[0-9a-f]{64}/;

interface Decision {
  level: string;
  msg: string;
  cluster: string;
  action: string;
  outcome: string;
  reason: string;
  namespace: string | null;
  pod: string | null;
  uid: string | null;
  machine: string | null;
}
interface Pod {
  metadata: { uid: string };
  status?: { phase?: string; containerStatuses?: Array<{ containerID?: string }> };
}

describe("decision logs", () => {
  let stack: System;
  const workerLines: string[] = [];
  const relayLines: string[] = [];
  const decisions = () =>
    workerLines.flatMap((l) => {
      const json = l.slice(l.indexOf("{"), l.lastIndexOf("}") + 1);
      try {
        const d = JSON.parse(json) as Decision;
        return d.msg === "decision" ? [d] : [];
      } catch {
        return [];
      }
    });
  // 60 s as in the other e2e tests: an orphan takes two reconcile passes, slow on a loaded 2-core CI box.
  const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 60_000);
  const decided = (action: string, pod?: string) => decisions().find((d) => d.action === action && (pod === undefined || d.pod === pod));
  const podPath = (name = "") => `/api/v1/namespaces/default/pods${name ? `/${name}` : ""}`;
  const getPod = (name: string) => stack.kube.request<Pod>("GET", podPath(name));

  beforeAll(async () => {
    stack = await startSystem({
      cluster: "decisions",
      ...CANARIES,
      workerVars: { LOG_LEVEL: "debug" },
      onWorkerLine: (l) => workerLines.push(l),
      relayLog: createLogger({ level: "debug", write: (l) => relayLines.push(l) }),
    });
    await waitFor("relay ready", async () => stack.relay.status().nodeReady && stack.relay.status().informersSynced);
  }, 120_000);
  afterAll(() => stack?.stop());

  it("logs creates, refusals, recreation, orphans and deletes as one JSON line each", { timeout: 180_000 }, async () => {
    await stack.kube.request("POST", "/api/v1/namespaces/default/secrets", {
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "db" }, data: { password: Buffer.from(CANARIES.secretValue).toString("base64") } },
    });
    const container = (extra: Record<string, unknown> = {}) => ({ name: "main", image: "nginx:1.27", ...extra });
    const create = (name: string, spec: Record<string, unknown>) =>
      stack.kube.request<Pod>("POST", podPath(), { body: { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } } });
    await create("web", { containers: [container()] });
    await create("app", { containers: [container({ env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }] })] });
    await create("huge", { containers: [container({ resources: { requests: { cpu: "64" } } })] });
    await waitFor("web Running", async () => (await getPod("web")).status?.phase === "Running");
    await waitFor("create decision", async () => decided("create", "web"));
    await waitFor("refuse decision", async () => decided("refuse", "huge"));

    // Destroyed behind our back: recreated.
    const first = (await getPod("web")).status!.containerStatuses![0]!.containerID!.replace("fly://", "");
    await fetch(`${stack.emulator.url}/v1/apps/${stack.app}/machines/${first}?force=true`, { method: "DELETE", headers: { authorization: `Bearer ${CANARIES.flyToken}` } });
    await waitFor("recreate decision", async () => decided("recreate", "web"));
    // An orphan carrying this cluster's metadata: destroyed after two passes.
    const orphan = await fetch(`${stack.emulator.url}/v1/apps/${stack.app}/machines`, {
      method: "POST",
      headers: { authorization: `Bearer ${CANARIES.flyToken}`, "content-type": "application/json" },
      body: JSON.stringify({ config: { image: "nginx", metadata: { machinelet_cluster: stack.cluster, machinelet_pod_uid: "nobody" } } }),
    });
    const orphanId = ((await orphan.json()) as { id: string }).id;
    await waitFor("orphan decision", async () => decisions().find((d) => d.action === "destroy-orphan" && d.machine === orphanId));
    await stack.kube.request("DELETE", podPath("web"));
    await waitFor("forget decision", async () => decided("forget", "web"));

    const create_ = decided("create", "web")!;
    expect(create_).toMatchObject({ level: "info", cluster: stack.cluster, namespace: "default", outcome: "done" });
    expect(create_.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(create_.machine).toBeTruthy();
    expect(create_.reason).toMatch(/shared-cpu-1x, 256 MB/);
    expect(typeof (create_ as unknown as { durationMs: unknown }).durationMs).toBe("number");
    expect(decided("refuse", "huge")).toMatchObject({ level: "warn", outcome: "refused", reason: expect.stringMatching(/64 CPUs/) });
    expect(decided("destroy", "web") ?? decided("stop", "web")).toBeTruthy();
    for (const d of decisions()) expect(Object.keys(d)).toEqual(expect.arrayContaining(["time", "level", "cluster", "action", "outcome", "reason", "namespace", "pod", "uid", "machine"]));
  });

  it("never writes a credential, a Secret value or a signature: not in logs, not on the page, not in /metrics", { timeout: 30_000 }, async () => {
    const auth = { authorization: `Bearer ${CANARIES.statusToken}` };
    const served = await Promise.all(
      [`/ui/clusters/${stack.cluster}`, `/ui/clusters/${stack.cluster}/view.json`, `/metrics`].map(async (p) => {
        const res = await fetch(`${stack.worker.url}${p}`, { headers: auth });
        expect(res.status, p).toBe(200);
        return res.text();
      }),
    );
    expect(served[1]).toContain('"name":"db"'); // the Secret in use, by name
    const relayMetrics = await (await fetch(stack.relay.metricsUrl!)).text();
    const everything = [...workerLines, ...relayLines, ...served, relayMetrics];
    expect(workerLines.length).toBeGreaterThan(10);
    for (const secret of Object.values(CANARIES)) {
      expect(everything.filter((l) => l.includes(secret)), secret).toEqual([]);
      expect(everything.filter((l) => l.includes(Buffer.from(secret).toString("base64"))), `${secret} (base64)`).toEqual([]);
    }
    expect(everything.filter((l) => SIGNATURE.test(l))).toEqual([]);
  });
});
