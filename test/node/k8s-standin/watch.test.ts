// Watch semantics through client-node's Watch over real HTTPS: ordering, resourceVersion resumption,
// initial state, bookmarks, 410 Expired, selectors and timeoutSeconds.
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { EventLog, raw, startFixture } from "./fixture";

let f: Fixture;
const HISTORY = 20;
beforeAll(async () => {
  f = await startFixture({ historyLimit: HISTORY, bookmarkIntervalMs: 50 });
  await f.core.createNamespace({ body: { metadata: { name: "w" } } });
});
afterAll(async () => {
  await f.standin.close();
});

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe("watch", () => {
  it("streams ADDED, MODIFIED, DELETED in resourceVersion order from a list's resourceVersion", async ({ expect }) => {
    const list = await f.core.listNamespacedConfigMap({ namespace: "w" });
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/w/configmaps", { resourceVersion: list.metadata?.resourceVersion ?? "" });
    await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "one" }, data: { v: "1" } } });
    await f.core.patchNamespacedConfigMap({ name: "one", namespace: "w", body: { data: { v: "2" } } }, mergePatch);
    await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "two" } } });
    await f.core.deleteNamespacedConfigMap({ name: "one", namespace: "w" });
    const events = await log.until((e) => e.length >= 4);
    log.close();
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED one", "MODIFIED one", "ADDED two", "DELETED one"]);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(new Set(rvs).size).toBe(4);
    expect(events[1]?.object).toMatchObject({ kind: "ConfigMap", apiVersion: "v1", data: { v: "2" } });
  });

  it("replays what happened after the given resourceVersion", async ({ expect }) => {
    const before = await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "replay-a" } } });
    await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "replay-b" } } });
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/w/configmaps", { resourceVersion: before.metadata?.resourceVersion ?? "" });
    const events = await log.until((e) => e.length >= 1);
    log.close();
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED replay-b"]);
  });

  it("starts with the current state as ADDED events when no resourceVersion is given", async ({ expect }) => {
    await f.core.createNamespace({ body: { metadata: { name: "w-initial" } } });
    await f.core.createNamespacedConfigMap({ namespace: "w-initial", body: { metadata: { name: "there" } } });
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/w-initial/configmaps");
    const events = await log.until((e) => e.length >= 1);
    log.close();
    expect(events[0]).toMatchObject({ type: "ADDED", object: { metadata: { name: "there" } } });
  });

  it("sends BOOKMARKs carrying only a resourceVersion when allowWatchBookmarks=true", async ({ expect }) => {
    const rv = (await f.core.listNamespacedSecret({ namespace: "w" })).metadata?.resourceVersion ?? "";
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/w/secrets", { resourceVersion: rv, allowWatchBookmarks: true });
    await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "elsewhere" } } });
    const events = await log.until((e) => e.some((ev) => ev.type === "BOOKMARK" && Number(ev.object.metadata.resourceVersion) > Number(rv)));
    log.close();
    const bookmark = events.find((e) => e.type === "BOOKMARK");
    expect(bookmark?.object).toEqual({ kind: "Secret", apiVersion: "v1", metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
  });

  it("marks the end of sendInitialEvents with an annotated BOOKMARK", async ({ expect }) => {
    const log = await EventLog.open(f.kc, "/api/v1/namespaces", { sendInitialEvents: true, allowWatchBookmarks: true, resourceVersionMatch: "NotOlderThan" });
    const events = await log.until((e) => e.some((ev) => ev.type === "BOOKMARK"));
    log.close();
    const end = events.findIndex((e) => e.type === "BOOKMARK");
    expect(events.slice(0, end).every((e) => e.type === "ADDED")).toBe(true);
    expect(events[end]?.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
  });

  it("sends an ERROR event with a 410 Expired Status for a resourceVersion older than the history", async ({ expect }) => {
    const old = (await f.core.listNamespacedConfigMap({ namespace: "w" })).metadata?.resourceVersion ?? "";
    for (let i = 0; i <= HISTORY; i++) await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: `churn-${i}` } } });
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/w/configmaps", { resourceVersion: old });
    const events = await log.until((e) => e.length >= 1);
    await log.untilDone();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "ERROR", object: { kind: "Status", status: "Failure", reason: "Expired", code: 410 } });
    expect(events[0]?.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it("turns objects entering and leaving a label selector into ADDED and DELETED", async ({ expect }) => {
    const rv = (await f.core.listNamespacedConfigMap({ namespace: "w" })).metadata?.resourceVersion ?? "";
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/w/configmaps", { resourceVersion: rv, labelSelector: "tier in (front),!skip" });
    await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "sel", labels: { tier: "back" } } } });
    await f.core.patchNamespacedConfigMap({ name: "sel", namespace: "w", body: { metadata: { labels: { tier: "front" } } } }, mergePatch);
    await f.core.patchNamespacedConfigMap({ name: "sel", namespace: "w", body: { data: { k: "v" } } }, mergePatch);
    const left = await f.core.patchNamespacedConfigMap({ name: "sel", namespace: "w", body: { metadata: { labels: { skip: "yes" } } } }, mergePatch);
    const events = await log.until((e) => e.length >= 3);
    log.close();
    expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    // Leaving the selection: the previous content, at the change's resourceVersion.
    expect(events[2]?.object.metadata).toMatchObject({ labels: { tier: "front" }, resourceVersion: left.metadata?.resourceVersion });
  });

  it("ends the stream after timeoutSeconds", async ({ expect }) => {
    const rv = (await f.core.listNamespacedSecret({ namespace: "w" })).metadata?.resourceVersion ?? "";
    const started = Date.now();
    const log = await EventLog.open(f.kc, "/api/v1/namespaces/w/secrets", { resourceVersion: rv, timeoutSeconds: 1 });
    await log.untilDone(3000);
    expect(log.doneError ?? null).toBeNull();
    expect(log.events).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("flushes each event as it happens on a chunked stream that stays open", async ({ expect }) => {
    const rv = (await f.core.listNamespacedConfigMap({ namespace: "w" })).metadata?.resourceVersion ?? "";
    const url = new URL(`/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${rv}`, f.standin.url);
    let headers: IncomingHttpHeaders = {};
    const firstChunk = new Promise<string>((resolve, reject) => {
      const req = request(url, { ca: f.standin.ca, headers: { Authorization: `Bearer ${f.standin.token}` } }, (res) => {
        headers = res.headers;
        res.once("data", (chunk: Buffer) => {
          resolve(chunk.toString("utf8"));
          req.destroy();
        });
      });
      req.on("error", reject);
      req.end();
    });
    // The stream is open and idle; the event must arrive on its own, not at the end of the response.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await f.core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "flushed" } } });
    const chunk = await firstChunk;
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["transfer-encoding"]).toBe("chunked");
    expect(chunk.endsWith("\n")).toBe(true);
    expect(JSON.parse(chunk)).toMatchObject({ type: "ADDED", object: { metadata: { name: "flushed" } } });
    const bad = await raw(f.standin, "GET", "/api/v1/namespaces/w/pods?watch=1&resourceVersion=abc");
    expect(bad.status).toBe(400);
  });
});
