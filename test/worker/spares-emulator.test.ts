/**
 * Exactness of warm capacity against the emulator, through the worker's event route: a pod served
 * from a spare is indistinguishable from the same pod served by a create (config, what the machine
 * sees at boot, status), and nothing of the spare's earlier pod survives.
 */
import { describe, expect, it } from "vitest";
import { machineConfigHash } from "../../src/worker/translate/machine-config-hash";
import { MACHINE_METADATA } from "../../src/worker/translate/machine-facts";
import { allMachines, emulatorUrl, eventually, getPod, newCluster, podPhase, postEvents, signedFetch } from "./helpers";
import { rsPod } from "./support/template-pods";

type BootView = { env: Record<string, string>; files: unknown[]; dns: unknown };

async function bootView(app: string, id: string): Promise<BootView> {
  const res = await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${id}/boot`);
  expect(res.status).toBe(200);
  return (await res.json()) as BootView;
}

/** What a machine's own runtime sets (its id, address, version, app): the rest of the boot view is the pod's. */
const RUNTIME = /^FLY_(MACHINE_ID|ALLOC_ID|PRIVATE_IP|MACHINE_VERSION|APP_NAME|IMAGE_REF)$/;
const podsPart = (b: BootView, cluster: string) =>
  JSON.parse(JSON.stringify({ ...b, env: Object.fromEntries(Object.entries(b.env).filter(([k]) => !RUNTIME.test(k))) }).replaceAll(cluster, "<cluster>"));

describe("a pod served from a spare", () => {
  it("is the pod a create would have made: same config and hash, same boot view, its own status with restart count 0", async () => {
    const warm = newCluster("warm");
    const cold = newCluster("cold");
    const a = rsPod();
    await postEvents(warm.cluster, [{ type: "ADDED", object: a }]);
    const first = await podPhase(warm.cluster, a.metadata.uid, "Running");
    // The earlier pod crashed once (a restart and an exit in the machine's events)...
    await fetch(`${emulatorUrl}/_emulator/apps/${warm.app}/machines/${first.machineId}/exit`, { method: "POST", body: JSON.stringify({ exitCode: 1 }) });
    await fetch(`${emulatorUrl}/_emulator/apps/${warm.app}/machines/${first.machineId}/logs`, { method: "POST", body: JSON.stringify({ lines: [`hello from ${a.metadata.name}`] }) });
    // ... and is scaled down.
    const deleting = { ...a, metadata: { ...a.metadata, resourceVersion: "300", deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 1 } };
    await postEvents(warm.cluster, [{ type: "MODIFIED", object: deleting }]);
    await eventually("the old pod gone", async () => (await getPod(warm.cluster, a.metadata.uid)) === undefined);
    const spare = await eventually("the spare at rest", async () => (await allMachines(warm.app)).find((m) => m.id === first.machineId && m.state === "stopped"));
    expect(spare.config?.metadata?.[MACHINE_METADATA.spare]).toMatch(/^[0-9a-f]{16}$/);

    const b = rsPod();
    await postEvents(warm.cluster, [{ type: "ADDED", object: b }]);
    await postEvents(cold.cluster, [{ type: "ADDED", object: b }]);
    const fromSpare = await podPhase(warm.cluster, b.metadata.uid, "Running");
    const fromCreate = await podPhase(cold.cluster, b.metadata.uid, "Running");
    expect(fromSpare.machineId).toBe(first.machineId);

    const [warmMachines, coldMachines] = [await allMachines(warm.app), await allMachines(cold.app)];
    expect(warmMachines).toHaveLength(1); // the spare, taken over: no create
    const w = warmMachines[0]!;
    const c = coldMachines[0]!;
    const neutral = (config: unknown, cluster: string) => JSON.parse(JSON.stringify(config).replaceAll(cluster, "<cluster>"));
    expect(neutral(w.config, warm.cluster)).toEqual(neutral(c.config, cold.cluster));
    expect(machineConfigHash(neutral(w.config, warm.cluster))).toBe(machineConfigHash(neutral(c.config, cold.cluster)));

    const [wb, cb] = [await bootView(warm.app, w.id), await bootView(cold.app, c.id)];
    expect(podsPart(wb, warm.cluster)).toEqual(podsPart(cb, cold.cluster));
    expect(wb.env.POD_NAME).toBe(b.metadata.name);
    for (const old of [a.metadata.name, a.metadata.uid]) {
      expect(JSON.stringify(wb)).not.toContain(old);
      expect(JSON.stringify(w.config)).not.toContain(old);
    }

    // Its logs are its own: the earlier pod's lines on the same machine are not among them.
    await fetch(`${emulatorUrl}/_emulator/apps/${warm.app}/machines/${w.id}/logs`, { method: "POST", body: JSON.stringify({ lines: [`hello from ${b.metadata.name}`] }) });
    const logs = await signedFetch(`/v1/clusters/${warm.cluster}/pods/${b.metadata.uid}/logs`);
    expect(logs.status).toBe(200);
    const messages = ((await logs.json()) as { lines: Array<{ message: string }> }).lines.map((l) => l.message);
    expect(messages).toEqual([`hello from ${b.metadata.name}`]);

    const cs = fromSpare.status.containerStatuses?.[0];
    expect(cs).toMatchObject({ restartCount: 0, lastState: {}, ready: true });
    expect(fromSpare.status.conditions?.find((x) => x.type === "machinelet.fly.io/FromSpare")?.status).toBe("True");
    const shape = (s: typeof fromSpare.status) => ({ phase: s.phase, containers: s.containerStatuses?.map((x) => ({ ...x, containerID: undefined, state: Object.keys(x.state as object) })) });
    expect(shape(fromSpare.status)).toEqual(shape(fromCreate.status));
  });
});
