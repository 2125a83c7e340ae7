// The relay's real informers (@kubernetes/client-node makeInformer / ListWatch) against the stand-in:
// a pod informer on the virtual node by field selector, and the relist after a 410.
import type { V1Pod } from "@kubernetes/client-node";
import { ListWatch, Watch, makeInformer } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { eventually, podSpec, startFixture } from "./fixture";

const NODE = "vnode";
const HISTORY = 10;
let f: Fixture;

beforeAll(async () => {
  f = await startFixture({ historyLimit: HISTORY });
  await f.core.createNode({ body: { metadata: { name: NODE } } });
  await f.core.createNode({ body: { metadata: { name: "other-node" }, spec: { unschedulable: true } } });
});
afterAll(async () => {
  await f.standin.close();
});

function track(informer: { on(verb: "add" | "update" | "delete", cb: (pod: V1Pod) => void): void }): string[] {
  const seen: string[] = [];
  for (const verb of ["add", "update", "delete"] as const) informer.on(verb, (pod) => seen.push(`${verb} ${pod.metadata?.name ?? ""}`));
  return seen;
}

describe("informers", () => {
  it("makeInformer with a spec.nodeName field selector sees the pods the scheduler binds to the virtual node", async ({ expect }) => {
    const selector = `spec.nodeName=${NODE}`;
    const informer = makeInformer(f.kc, `/api/v1/pods?fieldSelector=${encodeURIComponent(selector)}&allowWatchBookmarks=true`, () =>
      f.core.listPodForAllNamespaces({ fieldSelector: selector }),
    );
    const seen = track(informer);
    await informer.start();
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "mine" }, spec: podSpec() } });
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "theirs" }, spec: { ...podSpec(), nodeName: "other-node" } } });
    await eventually(() => (seen.includes("add mine") ? true : undefined));
    const cached = informer.get("mine", "default");
    expect(cached?.spec?.nodeName).toBe(NODE);
    expect(cached?.status?.conditions?.find((c) => c.type === "PodScheduled")?.status).toBe("True");
    // Graceful deletion is an update; the final delete (grace 0, UID precondition) an update to grace 0, then a delete.
    await f.core.deleteNamespacedPod({ name: "mine", namespace: "default" });
    await eventually(() => (seen.includes("update mine") ? true : undefined));
    await f.core.deleteNamespacedPod({ name: "mine", namespace: "default", gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: cached?.metadata?.uid ?? "" } } });
    await eventually(() => (seen.includes("delete mine") ? true : undefined));
    await informer.stop();
    expect(seen).toEqual(["add mine", "update mine", "update mine", "delete mine"]);
  });

  it("ListWatch relists after a 410 Expired and reconciles what it missed", async ({ expect }) => {
    const selector = `spec.nodeName=${NODE}`;
    let lists = 0;
    const informer = new ListWatch<V1Pod>(
      "/api/v1/pods",
      new Watch(f.kc),
      () => {
        lists += 1;
        return f.core.listPodForAllNamespaces({ fieldSelector: selector });
      },
      false,
      undefined,
      selector,
    );
    const seen = track(informer);
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "stays" }, spec: { ...podSpec(), nodeName: NODE } } });
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "goes" }, spec: { ...podSpec(), nodeName: NODE } } });
    await informer.start();
    await eventually(() => (seen.length >= 2 ? true : undefined));
    expect(lists).toBe(1);

    // While the informer is away, more changes happen than the stand-in's history keeps.
    await informer.stop();
    await f.core.deleteNamespacedPod({ name: "goes", namespace: "default", gracePeriodSeconds: 0 });
    await f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "new" }, spec: { ...podSpec(), nodeName: NODE } } });
    for (let i = 0; i < HISTORY; i++) await f.core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: `churn-${i}` } } });

    // Restarting resumes from the stale resourceVersion: the watch gets 410, so the informer lists again.
    await informer.start();
    await eventually(() => (seen.includes("add new") && seen.includes("delete goes") ? true : undefined));
    await informer.stop();
    expect(lists).toBe(2);
    expect(seen.slice(2).sort()).toEqual(["add new", "delete goes"]);
    expect(informer.list().map((p) => p.metadata?.name).sort()).toEqual(["new", "stays"]);
  });
});
