// A Service's forwarder changed behind machinelet's back (destroyed, reconfigured, cloned, failed) is repaired by the next reconcile; an idle (stopped) one is left alone.
import { describe, expect, it } from "vitest";
import type { Machine } from "../../src/machines/schemas";
import { serviceViewSchema } from "../../src/shared/contract";
import { serviceAppName } from "../../src/worker/translate/service-plan";
import { allMachines, emulatorConfig, emulatorUrl, eventually, fly, newCluster, pod, postEvents, signedFetch } from "./helpers";

const service = (name: string) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default", uid: crypto.randomUUID(), resourceVersion: "1" },
  spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
});

const live = async (app: string) => (await allMachines(app)).filter((m) => m.state !== "destroyed");
const reconcile = async (cluster: string) => expect((await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} })).status).toBe(200);
/** The forwarder as the worker set it up: one live machine, started, carrying FORWARD. */
const forwarderOf = (app: string) =>
  eventually(`${app}'s forwarder started`, async () => {
    const machines = await live(app);
    return machines.length === 1 && machines[0]!.state === "started" && machines[0]!.config?.env?.FORWARD !== undefined && machines[0]!;
  }, 40_000);
/** What routing needs of a forwarder, as the worker plans it. */
const shape = (m: Machine) => ({ env: m.config?.env, services: m.config?.services?.map((s) => ({ internal_port: s.internal_port, ports: s.ports, autostart: s.autostart })), metadata: m.config?.metadata });

describe("forwarder drift repair", { timeout: 120_000 }, () => {
  it("recreates a destroyed forwarder, puts back a changed config, destroys a clone, starts a failed one and leaves an idle one stopped", async () => {
    const { cluster } = newCluster("svcfix");
    const svc = service("web");
    await postEvents(cluster, [svc, pod({ labels: { app: "web" }, spec: { containers: [{ name: "web", image: "nginx", ports: [{ containerPort: 8080 }] }] } })].map((object) => ({ type: "ADDED", object })));
    const app = serviceAppName(`fks-${cluster}`, svc.metadata);
    const original = await forwarderOf(app);
    const planned = shape(original);

    // Untouched: a reconcile asked for finds nothing to do.
    await reconcile(cluster);
    expect((await live(app)).map((m) => [m.id, m.version, m.state])).toEqual([[original.id, original.version, "started"]]);

    // Config changed behind our back (a route and autostart): the Service's config goes back on the same machine.
    const tampered = structuredClone(original.config!);
    tampered.env = { FORWARD: "80=[fdaa::1]:1" };
    tampered.services = tampered.services!.map((s) => ({ ...s, autostart: false }));
    await fly.updateMachine(app, original.id, { config: tampered });
    await reconcile(cluster);
    const restored = await eventually("the config put back", async () => {
      const [m] = await live(app);
      return m && JSON.stringify(shape(m)) === JSON.stringify(planned) && m;
    });
    expect(restored.id).toBe(original.id);
    expect((await live(app)).length).toBe(1);

    // A clone (same config and metadata, made outside machinelet) is destroyed; the forwarder stays.
    const clone = await fly.createMachine(app, { config: restored.config! });
    await reconcile(cluster);
    await eventually("the clone destroyed", async () => (await live(app)).every((m) => m.id !== clone.id));
    expect((await live(app)).map((m) => m.id)).toEqual([original.id]);

    // Idle: Fly stopped it (autostop). Not drift: it stays stopped until a connection starts it.
    await fly.stopMachine(app, original.id);
    await eventually("stopped", async () => (await live(app))[0]?.state === "stopped");
    await reconcile(cluster);
    expect((await live(app)).map((m) => [m.id, m.state])).toEqual([[original.id, "stopped"]]);

    // Failed: its boot failed. Started again.
    await emulatorConfig({ faults: { apps: [app], failBoots: 1 } });
    try {
      await fly.startMachine(app, original.id);
      await eventually("failed", async () => (await live(app))[0]?.state === "failed");
    } finally {
      await emulatorConfig({ faults: { apps: [], failBoots: 0 } });
    }
    await reconcile(cluster);
    await eventually("started again", async () => (await live(app))[0]?.state === "started");

    // Destroyed: another forwarder, with the Service's config, behind the same address.
    await fly.deleteMachine(app, original.id, { force: true });
    await reconcile(cluster);
    const recreated = await forwarderOf(app);
    expect(recreated.id).not.toBe(original.id);
    expect(shape(recreated)).toEqual(planned);
    const view = serviceViewSchema.parse(await (await signedFetch(`/v1/clusters/${cluster}/services/default/web`)).json());
    // From the pod's machine: a Flycast address is reached from the org's network.
    const from = (await live(`fks-${cluster}`)).find((m) => m.config?.metadata?.machinelet_pod !== undefined)!.id;
    const targets = (await (await fetch(`${emulatorUrl}/_emulator/route?from=${from}&ip=${encodeURIComponent(view.address!)}&port=80`)).json()) as { targets: { machine_id: string }[] };
    expect(targets.targets.map((t) => t.machine_id)).toEqual([recreated.id]);
  });
});
