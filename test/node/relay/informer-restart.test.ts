/**
 * Informer recovery, with a TCP proxy between the relay and the stand-in that can cut or freeze
 * every connection: the relay relists, reports what was deleted meanwhile, sends a new snapshot,
 * and a silent (frozen) watch is restarted by the watchdog.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createPod, harness, startProxy, waitFor, type Harness, type Proxy } from "./helpers";

let h: Harness | undefined;
let proxy: Proxy | undefined;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  h = proxy = undefined;
});

const createSecret = (name: string) => h!.kube.request("POST", "/api/v1/namespaces/default/secrets", { body: { metadata: { name }, data: { k: "dg==" } } });

describe("informer restarts", () => {
  it("recovers from dropped connections, reports what changed meanwhile, and snapshots again", async () => {
    h = await harness();
    proxy = await startProxy(h.standin.port);
    await createSecret("doomed");
    await createSecret("reborn");
    await h.start({}, { viaProxy: proxy });
    await waitFor("first snapshot", () => h!.worker.snapshots.length > 0);
    const doomed = h.worker.events.find((e) => e.object.metadata.name === "doomed")!;
    const reborn = h.worker.events.find((e) => e.object.metadata.name === "reborn")!;

    proxy.setFrozen(true);
    await h.kube.request("DELETE", "/api/v1/namespaces/default/secrets/doomed");
    await h.kube.request("DELETE", "/api/v1/namespaces/default/secrets/reborn");
    const newborn = await createSecret("reborn");
    proxy.dropAll();
    proxy.setFrozen(false);

    const deleted = await waitFor("DELETED for the secret deleted while cut off", () =>
      h!.worker.events.find((e) => e.type === "DELETED" && e.object.metadata.uid === doomed.object.metadata.uid),
    );
    expect(deleted.object.kind).toBe("Secret");
    const latest = await waitFor("a new snapshot without it", () => {
      const s = h!.worker.snapshots.at(-1)!;
      return h!.worker.snapshots.length > 1 && !s.snapshot.secrets!.some((x) => x.metadata.name === "doomed") && s;
    });
    expect(latest.snapshot.secrets!.map((s) => s.metadata.uid)).toEqual([(newborn as { metadata: { uid: string } }).metadata.uid]);
    // Same name, new UID: the old one is reported deleted, the new one added.
    const rebornEvents = h.worker.events.filter((e) => e.object.metadata.name === "reborn").map((e) => [e.type, e.object.metadata.uid]);
    expect(rebornEvents).toEqual([
      ["ADDED", reborn.object.metadata.uid],
      ["DELETED", reborn.object.metadata.uid],
      ["ADDED", (newborn as { metadata: { uid: string } }).metadata.uid],
    ]);
    // Unchanged objects are not sent again after the relist.
    expect(h.worker.events.filter((e) => e.object.metadata.name === "kubernetes")).toHaveLength(1);

    const pod = await createPod(h.kube, "after-drop");
    await waitFor("events flow again", () => h!.worker.events.some((e) => e.object.metadata.uid === pod.metadata.uid));
  });

  it("restarts an informer whose watch went silent (watchdog)", async () => {
    h = await harness({ bookmarkIntervalMs: 100 });
    proxy = await startProxy(h.standin.port);
    await h.start({ watchdogMs: 800, requestTimeoutMs: 1000 }, { viaProxy: proxy });
    await waitFor("first snapshot", () => h!.worker.snapshots.length > 0);
    // Bookmarks keep healthy watches active: no restart while nothing is wrong.
    await new Promise((r) => setTimeout(r, 1200));
    expect(h.logLines.some((l) => l.includes("informer silent"))).toBe(false);

    proxy.setFrozen(true);
    await waitFor("watchdog restart", () => h!.logLines.some((l) => l.includes("informer silent")));
    proxy.setFrozen(false);
    await createSecret("after-freeze");
    // Well before client-node's own 30 s inactivity timeout could have noticed.
    await waitFor("events flow again", () => h!.worker.events.some((e) => e.object.metadata.name === "after-freeze"), 8000);
  });

  it("relists when a resumed watch is too old (410) and snapshots again, without resending unchanged objects", async () => {
    h = await harness({ historyLimit: 3 });
    await h.start({ watchTimeoutSeconds: 1 });
    await waitFor("first snapshot", () => h!.worker.snapshots.length > 0);
    const snapshots = h.worker.snapshots.length;
    // Changes to config maps alone push the other informers' resourceVersions out of the history.
    for (let i = 0; i < 6; i++) await h.kube.request("POST", "/api/v1/namespaces/default/configmaps", { body: { metadata: { name: `cm-${i}` } } });
    await waitFor("services relisted", () => h!.logLines.filter((l) => l.includes('"listed"') && l.includes('"services"')).length > 1, 5000);
    await waitFor("another snapshot", () => h!.worker.snapshots.length > snapshots);
    expect(h.logLines.some((l) => l.includes("restarting informer"))).toBe(false);
    expect(h.worker.events.filter((e) => e.object.metadata.name === "kubernetes")).toHaveLength(1);
  });
});
