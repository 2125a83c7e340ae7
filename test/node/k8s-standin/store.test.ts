// The stand-in's store on its own: one resourceVersion counter, bounded history, ordered fan-out.
import { describe, expect, it } from "vitest";
import type { Change } from "../../../src/k8s/standin/store";
import { HistoryExpiredError, Store } from "../../../src/k8s/standin/store";

const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns" }, data });
const summary = (changes: Change[]) => changes.map((c) => `${c.type} ${c.object.metadata.name}@${c.rv}`);

describe("store", () => {
  it("stamps every write, of any resource, with the next resourceVersion", () => {
    const store = new Store(100);
    expect(store.create("configmaps", cm("a")).metadata.resourceVersion).toBe("1");
    expect(store.create("secrets", cm("s")).metadata.resourceVersion).toBe("2");
    expect(store.update("configmaps", cm("a", { k: "v" })).metadata.resourceVersion).toBe("3");
    const gone = store.remove("configmaps", store.get("configmaps", "ns", "a") ?? cm("a"));
    expect(gone).toMatchObject({ metadata: { resourceVersion: "4" }, data: { k: "v" } });
    expect(store.get("configmaps", "ns", "a")).toBeUndefined();
    expect(store.resourceVersion).toBe(4);
  });

  it("replays retained changes after a resourceVersion, then follows live ones, for one resource only", () => {
    const store = new Store(100);
    store.create("configmaps", cm("a"));
    store.create("secrets", cm("s"));
    store.create("configmaps", cm("b"));
    const seen: Change[] = [];
    store.watch("configmaps", 1, (c) => seen.push(c));
    store.update("configmaps", cm("a", { k: "v" }));
    expect(summary(seen)).toEqual(["ADDED b@3", "MODIFIED a@4"]);
    expect(seen[1]?.previous?.data).toEqual({});
  });

  it("expires resourceVersions older than the retained history", () => {
    const store = new Store(2);
    for (const name of ["a", "b", "c", "d"]) store.create("configmaps", cm(name));
    expect(() => store.watch("configmaps", 1, () => undefined)).toThrow(HistoryExpiredError);
    expect(() => store.watch("configmaps", 1, () => undefined)).toThrow("too old resource version: 1 (3)");
    const seen: Change[] = [];
    store.watch("configmaps", 2, (c) => seen.push(c));
    expect(summary(seen)).toEqual(["ADDED c@3", "ADDED d@4"]);
  });

  it("keeps every watcher in resourceVersion order when a watcher writes while being told", () => {
    const store = new Store(100);
    const first: Change[] = [];
    const second: Change[] = [];
    store.watch("configmaps", 0, (c) => {
      first.push(c);
      if (c.type === "ADDED") store.update("configmaps", cm(c.object.metadata.name ?? "", { touched: "yes" }));
    });
    store.watch("configmaps", 0, (c) => second.push(c));
    store.create("configmaps", cm("a"));
    expect(summary(first)).toEqual(["ADDED a@1", "MODIFIED a@2"]);
    expect(summary(second)).toEqual(["ADDED a@1", "MODIFIED a@2"]);
  });

  it("skips changes up to a resourceVersion from the future", () => {
    const store = new Store(100);
    const seen: Change[] = [];
    store.watch("configmaps", 2, (c) => seen.push(c));
    for (const name of ["a", "b", "c"]) store.create("configmaps", cm(name));
    expect(summary(seen)).toEqual(["ADDED c@3"]);
  });
});
