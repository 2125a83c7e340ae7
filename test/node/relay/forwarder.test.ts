/**
 * The forwarder's order of events and snapshots, against the fake worker: a snapshot asked for
 * waits for the events queued before it, and no longer for the ones that keep arriving.
 */
import { afterEach, expect, it } from "vitest";
import { Forwarder } from "../../../src/relay/forwarder";
import { WorkerClient } from "../../../src/relay/worker-client";
import { startFakeWorker, type FakeWorker } from "./fake-worker";
import { CLUSTER, memoryLog, SECRET, waitFor } from "./helpers";

let worker: FakeWorker | undefined;
let forwarder: Forwarder | undefined;
afterEach(async () => {
  await forwarder?.stop(0);
  await worker?.close();
});

it("sends a snapshot asked for after the events queued before it, though every delivery brings one more", async () => {
  worker = await startFakeWorker({ secret: SECRET, cluster: CLUSTER });
  const client = new WorkerClient(worker.url, CLUSTER, SECRET, 5_000);
  let n = 0;
  const event = () => ({ type: "ADDED" as const, object: { apiVersion: "v1", kind: "ConfigMap", metadata: { uid: `u${++n}`, name: `cm${n}`, namespace: "default", resourceVersion: String(n) } } });
  // Each delivery is followed by a new event, as a busy cluster's pods keep changing.
  const paths: string[] = [];
  const signed = client.signed.bind(client);
  client.signed = async (method, suffix, body, opts) => {
    const res = await signed(method, suffix, body, opts);
    paths.push(suffix);
    if (suffix === "/events") forwarder!.enqueue(event());
    return res;
  };
  const f = (forwarder = new Forwarder({
    worker: client,
    log: memoryLog().log,
    backoff: { baseMs: 50, maxMs: 400 },
    maxPendingDeletes: 1_000,
    snapshotSource: () => ({ pods: [], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] }),
  }));
  for (let i = 0; i < 5; i++) f.enqueue(event());
  f.requestSnapshot();
  f.start();
  await waitFor("the snapshot", () => worker!.snapshots.length > 0);
  // The five queued first went in one batch; the snapshot came next, before the event that batch brought.
  expect(paths.slice(0, 2)).toEqual(["/events", "/reconcile"]);
  expect(worker.events.slice(0, 5).map((e) => e.object.metadata.uid)).toEqual(["u1", "u2", "u3", "u4", "u5"]);
});
