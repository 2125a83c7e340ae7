// Secrets and ConfigMaps end to end: intake, the secret sync, convergence, the emulator's boot view.
import { describe, expect, it } from "vitest";
import { emulatorUrl, eventually, fly, getPod, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";

const b64 = (s: string) => btoa(s);
let rv = 1_000;
const secret = (name: string, data: Record<string, string>, namespace = "default", uid = crypto.randomUUID()) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace, uid, resourceVersion: String(++rv) },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});
const configMap = (name: string, data: Record<string, string>, uid = crypto.randomUUID()) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "default", uid, resourceVersion: String(++rv) },
  data,
});

async function bootView(app: string, machineId: string): Promise<{ env: Record<string, string>; files: Array<{ path: string; content_base64: string }> }> {
  const res = await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${machineId}/boot`);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

async function reconcile(cluster: string): Promise<unknown> {
  const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

const consumer = () =>
  pod({
    spec: {
      containers: [
        {
          name: "web",
          image: "nginx:1.27",
          env: [
            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
            { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "settings", key: "level" } } },
          ],
        },
      ],
    },
  });

describe("pods with Secrets and ConfigMaps", () => {
  it("waits for a missing Secret as the kubelet does, starts once it arrives, and sees only the key it asked for", async () => {
    const { cluster, app } = newCluster();
    const p = consumer();
    const emitted: unknown[] = [];
    emitted.push(await postEvents(cluster, [{ type: "ADDED", object: configMap("settings", { level: "info" }) }, { type: "ADDED", object: p }]));
    const waiting = await eventually("pod waiting for its Secret", async () => {
      const v = await getPod(cluster, p.metadata.uid);
      const state = (v?.status.containerStatuses?.[0] as { state?: { waiting?: { reason?: string; message?: string } } } | undefined)?.state?.waiting;
      return state?.reason === "CreateContainerConfigError" ? { v, state } : undefined;
    });
    expect(waiting.v?.status.phase).toBe("Pending");
    expect(waiting.state.message).toBe('secret "db" not found');
    expect(waiting.v?.machineId).toBeNull();

    emitted.push(await postEvents(cluster, [{ type: "ADDED", object: secret("db", { password: "canary-pw-3f9a", user: "canary-user-81bd" }) }]));
    const running = await podPhase(cluster, p.metadata.uid, "Running");
    const view = await bootView(app, running.machineId!);
    expect(view.env.DB_PASSWORD).toBe("canary-pw-3f9a");
    expect(view.env.LEVEL).toBe("info");
    expect(JSON.stringify(view)).not.toContain("canary-user-81bd");

    // Nothing the worker answered carries a secret value.
    emitted.push(running, await getPod(cluster, p.metadata.uid), await reconcile(cluster), await fly.getMachine(app, running.machineId!));
    const text = JSON.stringify(emitted);
    for (const canary of ["canary-pw-3f9a", "canary-user-81bd", b64("canary-pw-3f9a")]) expect(text).not.toContain(canary);
  });

  it("a changed Secret or ConfigMap rolls the machine that uses it; an unrelated one leaves it alone", async () => {
    const { cluster, app } = newCluster();
    const dbUid = crypto.randomUUID();
    const cmUid = crypto.randomUUID();
    const p = consumer();
    await postEvents(cluster, [
      { type: "ADDED", object: secret("db", { password: "one" }, "default", dbUid) },
      { type: "ADDED", object: configMap("settings", { level: "info" }, cmUid) },
      { type: "ADDED", object: p },
    ]);
    const { machineId } = await podPhase(cluster, p.metadata.uid, "Running");
    const version = (await fly.getMachine(app, machineId!)).version;

    await postEvents(cluster, [{ type: "ADDED", object: secret("unrelated", { x: "y" }) }]);
    await reconcile(cluster);
    expect((await fly.getMachine(app, machineId!)).version).toBe(version);

    await postEvents(cluster, [{ type: "MODIFIED", object: secret("db", { password: "two" }, "default", dbUid) }]);
    await eventually("the new password at boot", async () => (await bootView(app, machineId!)).env.DB_PASSWORD === "two");
    await postEvents(cluster, [{ type: "MODIFIED", object: configMap("settings", { level: "debug" }, cmUid) }]);
    await eventually("the new level at boot", async () => (await bootView(app, machineId!)).env.LEVEL === "debug");
    expect((await fly.getMachine(app, machineId!)).id).toBe(machineId);
  });

  it("writes only referenced keys to Fly and removes them once nothing uses them", async () => {
    const { cluster, app } = newCluster();
    const p = consumer();
    const dbUid = crypto.randomUUID();
    await postEvents(cluster, [
      { type: "ADDED", object: secret("db", { password: "pw", unused: "u" }, "default", dbUid) },
      { type: "ADDED", object: secret("nobody", { token: "t" }) },
      { type: "ADDED", object: configMap("settings", { level: "info" }) },
      { type: "ADDED", object: p },
    ]);
    await podPhase(cluster, p.metadata.uid, "Running");
    // Read as Fly's rate limits allow (the worker's own reads share the app's bucket).
    const names = (want: string[]) =>
      eventually(`app secrets ${want.join(", ")}`, async () => {
        const got = await fly.listSecrets(app).then((r) => (r.secrets ?? []).map((s) => s.name).sort(), () => undefined);
        return JSON.stringify(got) === JSON.stringify(want) || undefined;
      });
    await names(["MLB_default__db__password", "MLS_default__db__password"]);

    await postEvents(cluster, [{ type: "DELETED", object: { ...p, metadata: { ...p.metadata, resourceVersion: String(++rv) } } }]);
    await eventually("pod gone", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    await reconcile(cluster);
    await names([]);
  });
});
