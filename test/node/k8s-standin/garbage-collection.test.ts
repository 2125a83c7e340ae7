// Garbage collection by ownerReferences, over HTTP: background (the default), foreground and
// orphan deletion, and dangling references.
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { eventually, podSpec, raw, startFakeKubelet, startFixture } from "./fixture";

let f: Fixture;
let stopKubelet: () => void;
beforeAll(async () => {
  f = await startFixture();
  stopKubelet = await startFakeKubelet(f.standin, "gc-node");
});
afterAll(async () => {
  stopKubelet();
  await f.standin.close();
});

const RS = "/apis/apps/v1/namespaces/default/replicasets";
const replicaSet = (name: string, replicas = 2) => ({
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { set: name } }, template: { metadata: { labels: { set: name } }, spec: podSpec() } },
});
const podsOf = async (name: string) => (await raw(f.standin, "GET", `/api/v1/namespaces/default/pods?labelSelector=set%3D${name}`)).json().items as any[];
const running = (name: string, n: number) => eventually(async () => ((await podsOf(name)).filter((p) => p.status.phase === "Running").length === n ? true : undefined), 5000);
const gone = (path: string) => eventually(async () => ((await raw(f.standin, "GET", path)).status === 404 ? true : undefined), 5000);

describe("garbage collection", () => {
  it("deletes the pods of a ReplicaSet deleted in the background, the default", async ({ expect }) => {
    expect((await raw(f.standin, "POST", RS, { body: replicaSet("bg") })).status).toBe(201);
    await running("bg", 2);
    const deleted = await raw(f.standin, "DELETE", `${RS}/bg`);
    expect(deleted.json()).toMatchObject({ kind: "Status", status: "Success" });
    await eventually(async () => ((await podsOf("bg")).length === 0 ? true : undefined), 5000);
  });

  it("holds a ReplicaSet deleted in the foreground until its pods are gone", async ({ expect }) => {
    await raw(f.standin, "POST", RS, { body: replicaSet("fg") });
    await running("fg", 2);
    const deleted = await raw(f.standin, "DELETE", `${RS}/fg`, { body: { propagationPolicy: "Foreground" } });
    expect(deleted.json().metadata).toMatchObject({ finalizers: ["foregroundDeletion"], deletionTimestamp: expect.any(String) });
    await gone(`${RS}/fg`);
    expect(await podsOf("fg")).toEqual([]);
  });

  it("orphans the pods of a ReplicaSet deleted with Orphan: they stay, without the reference", async ({ expect }) => {
    await raw(f.standin, "POST", RS, { body: replicaSet("or") });
    await running("or", 2);
    await raw(f.standin, "DELETE", `${RS}/or`, { body: { propagationPolicy: "Orphan" } });
    await gone(`${RS}/or`);
    const pods = await podsOf("or");
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.metadata.ownerReferences === undefined && !p.metadata.deletionTimestamp)).toBe(true);
  });

  it("deletes an object whose every owner is gone, and drops only the dangling reference of one that has another owner", async ({ expect }) => {
    const owner = (await raw(f.standin, "POST", "/api/v1/namespaces/default/configmaps", { body: { metadata: { name: "owner" } } })).json();
    const ref = (name: string, uid: string) => ({ apiVersion: "v1", kind: "ConfigMap", name, uid });
    await raw(f.standin, "POST", "/api/v1/namespaces/default/configmaps", { body: { metadata: { name: "orphan", ownerReferences: [ref("ghost", "00000000-0000-0000-0000-000000000000")] } } });
    await raw(f.standin, "POST", "/api/v1/namespaces/default/configmaps", {
      body: { metadata: { name: "shared", ownerReferences: [ref("owner", owner.metadata.uid), ref("ghost", "00000000-0000-0000-0000-000000000000")] } },
    });
    await gone("/api/v1/namespaces/default/configmaps/orphan");
    const shared = await eventually(async () => {
      const cm = (await raw(f.standin, "GET", "/api/v1/namespaces/default/configmaps/shared")).json();
      return cm.metadata.ownerReferences.length === 1 ? cm : undefined;
    });
    expect(shared.metadata.ownerReferences).toEqual([ref("owner", owner.metadata.uid)]);
  });
});
