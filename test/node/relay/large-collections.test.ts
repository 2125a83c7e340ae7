// Collections past what a spread into a call's arguments can take (~125k elements overflow the
// stack): a cluster's snapshot and the write-back loop's pending objects can be that large.
import { afterEach, describe, expect, it, vi } from "vitest";
import { InformerSet } from "../../../src/relay/informer-set";
import { ResourceInformer } from "../../../src/relay/informers";
import type { KubeApi, KubeObject } from "../../../src/relay/kube-api";
import { createLogger } from "../../../src/relay/log";
import { WriteBackLoop } from "../../../src/relay/write-back-loop";
import { waitFor } from "./helpers";

const MANY = 200_000;
const objects = (kind: string): KubeObject[] => Array.from({ length: MANY }, (_, i) => ({ kind, metadata: { name: `o${i}`, namespace: "default", uid: `${kind}-${i}` } }));
const log = createLogger({ level: "error" });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("large collections", () => {
  it("takes a snapshot of 200,000 objects per kind", () => {
    const set = new InformerSet({
      api: {} as KubeApi,
      log,
      nodeName: "fks-test",
      namespaces: [],
      watchTimeoutSeconds: 60,
      watchdogMs: 60_000,
      listPageSize: 500,
      backoff: { baseMs: 50, maxMs: 400 },
      onEvent: () => undefined,
      onListed: () => undefined,
    });
    vi.spyOn(ResourceInformer.prototype, "synced", "get").mockReturnValue(true);
    const pods = objects("Pod");
    vi.spyOn(ResourceInformer.prototype, "list").mockReturnValue(pods);
    const snapshot = set.snapshot()!;
    expect(snapshot.pods).toHaveLength(MANY);
    expect(snapshot.pods.at(-1)).toBe(pods.at(-1));
    expect(snapshot.configMaps).toHaveLength(MANY);
  });

  it("keeps the write-back loop running with 200,000 objects pending", async () => {
    let writes = 0;
    const loop = new WriteBackLoop<KubeObject>({
      what: "a test object",
      log,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      write: async () => {
        writes++;
        return false;
      },
    });
    for (const o of objects("Service")) loop.want(o);
    loop.start();
    await waitFor("every object written once", () => writes === MANY, 15_000);
    await loop.stop();
    expect(loop.pending).toBe(MANY);
  });
});
