import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signRequest } from "../../src/shared/contract";
import { getPod, newCluster, pod, postEvents, signedFetch } from "./helpers";

describe("POST /v1/clusters/{cluster}/events: authentication", () => {
  const { cluster } = newCluster("auth");
  const path = `/v1/clusters/${cluster}/events`;
  const p = pod();
  const body = JSON.stringify({ events: [{ type: "ADDED", object: p }] });
  const send = (signature: string | undefined) =>
    exports.default.fetch(`http://worker${path}`, { method: "POST", body, headers: signature ? { "x-machinelet-signature": signature } : {} });

  it.each([
    ["missing", async () => undefined, /missing/],
    ["malformed", async () => "t=abc,v1=zz", /malformed/],
    ["signed with another secret", () => signRequest("not-the-secret", "POST", path, body), /mismatch/],
    ["signed over another body", () => signRequest("test-relay-secret", "POST", path, body + " "), /mismatch/],
    ["signed for another path", () => signRequest("test-relay-secret", "POST", `${path}?x=1`, body), /mismatch/],
    ["older than 300 s", () => signRequest("test-relay-secret", "POST", path, body, Math.floor(Date.now() / 1000) - 301), /window/],
    ["from the future", () => signRequest("test-relay-secret", "POST", path, body, Math.floor(Date.now() / 1000) + 301), /window/],
  ])("rejects a %s signature with 401 and stores nothing", async (_name, sign, reason) => {
    const res = await send(await sign());
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(reason);
    expect(await getPod(cluster, p.metadata.uid)).toBeUndefined();
  });

  it("accepts a signature 299 s old", async () => {
    const res = await signedFetch(path, { body, t: Math.floor(Date.now() / 1000) - 299 });
    expect(res.status).toBe(200);
  });

  it("signs GETs over an empty body and the query", async () => {
    const res = await signedFetch(`/v1/clusters/${cluster}/pods/${p.metadata.uid}?x=1`);
    expect([200, 404]).toContain(res.status);
  });

  it("rejects a bad cluster name with 400 before anything else", async () => {
    const res = await signedFetch(`/v1/clusters/Bad_Name/events`, { body: { events: [] } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ path: "cluster" });
  });
});

describe("POST /v1/clusters/{cluster}/events: bodies", () => {
  const { cluster } = newCluster("body");
  const path = `/v1/clusters/${cluster}/events`;

  it.each([
    ["malformed JSON", "{nope", 400, /not valid JSON/, undefined],
    ["no events array", { nothing: [] }, 400, /expected array/, "events"],
    ["an event of unknown type", { events: [{ type: "BOOKMARK", object: {} }] }, 400, /Invalid option/, "events.0.type"],
    ["too many events", { events: Array.from({ length: 501 }, () => ({ type: "ADDED", object: pod() })) }, 400, /at most 500/, "events"],
  ])("answers %s with %i naming what is wrong", async (_n, body, status, error, errPath) => {
    const res = await signedFetch(path, { body });
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: string; path?: string };
    expect(json.error).toMatch(error);
    if (errPath) expect(json.path).toBe(errPath);
  });

  it("answers a body over 5 MiB with 413", async () => {
    const big = pod({ metadata: { annotations: { blob: "x".repeat(5 * 1024 * 1024) } } });
    const res = await signedFetch(path, { body: { events: [{ type: "ADDED", object: big }] } });
    expect(res.status).toBe(413);
    expect(await getPod(cluster, big.metadata.uid)).toBeUndefined();
  });

  it("gives one result per event, in order; a bad event does not break the batch", async () => {
    const good = pod();
    const noImage = pod();
    (noImage.spec.containers[0] as { image?: string }).image = undefined;
    const wrongType = pod({ spec: { terminationGracePeriodSeconds: "thirty" } });
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default", uid: crypto.randomUUID(), resourceVersion: "5" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } };
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "default", uid: crypto.randomUUID(), resourceVersion: "6" }, data: { a: "b" } };
    const odd = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "default", uid: crypto.randomUUID(), resourceVersion: "7" } };
    const results = await postEvents(cluster, [
      { type: "ADDED", object: good },
      { type: "ADDED", object: noImage },
      { type: "ADDED", object: wrongType },
      { type: "ADDED", object: svc },
      { type: "ADDED", object: cm },
      { type: "ADDED", object: odd },
    ]);
    expect(results.map((r) => [r.kind, r.outcome])).toEqual([
      ["Pod", "applied"],
      ["Pod", "rejected"],
      ["Pod", "rejected"],
      ["Service", "applied"],
      ["ConfigMap", "applied"],
      ["Deployment", "ignored"],
    ]);
    expect(results[1]!.message).toMatch(/spec\.containers\[0\]\.image/);
    expect(results[2]!.message).toMatch(/spec\.terminationGracePeriodSeconds/);
    expect(results.map((r) => r.uid)).toEqual([good, noImage, wrongType, svc, cm, odd].map((o) => o.metadata.uid));
    expect(await getPod(cluster, noImage.metadata.uid)).toBeUndefined();
    // the same Service again is a no-op
    expect((await postEvents(cluster, [{ type: "ADDED", object: svc }]))[0]!.outcome).toBe("unchanged");
  });
});

describe("POST /v1/clusters/{cluster}/events: deleted objects", () => {
  const { cluster } = newCluster("tomb");
  const object = (kind: string, name: string, rv: number, rest: Record<string, unknown>) => ({
    apiVersion: "v1",
    kind,
    metadata: { name, namespace: "default", uid: crypto.randomUUID(), resourceVersion: String(rv) },
    ...rest,
  });

  it("never takes a deleted Service, ConfigMap or Secret back from a late copy, even one deleted before it was seen", async () => {
    const svc = object("Service", "web", 5, { spec: { selector: { app: "web" }, ports: [{ port: 80 }] } });
    const cm = object("ConfigMap", "cfg", 6, { data: { a: "b" } });
    const secret = object("Secret", "token", 7, { data: { k: btoa("v") } });
    expect((await postEvents(cluster, [{ type: "ADDED", object: svc }, { type: "ADDED", object: cm }])).map((r) => r.outcome)).toEqual(["applied", "applied"]);
    const deleted = await postEvents(cluster, [svc, cm, secret].map((object) => ({ type: "DELETED", object })));
    expect(deleted.map((r) => r.outcome)).toEqual(["applied", "applied", "unchanged"]);
    // A copy sent before the delete and delivered after it (a retried request), and a snapshot still listing them.
    const late = await postEvents(cluster, [{ type: "MODIFIED", object: svc }, { type: "MODIFIED", object: cm }, { type: "ADDED", object: secret }]);
    expect(late.map((r) => r.outcome)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(late[0]!.message).toBe("Service UID was deleted; a deleted object never comes back");
    expect((await signedFetch(`/v1/clusters/${cluster}/services/default/web`)).status).toBe(404);
    await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: { snapshot: { pods: [], services: [svc], secrets: [secret], configMaps: [cm], persistentVolumeClaims: [] } } });
    expect((await signedFetch(`/v1/clusters/${cluster}/services/default/web`)).status).toBe(404);
    // A new object of the same name is a new UID: it is taken.
    const again = object("Service", "web", 9, { spec: { selector: { app: "web" }, ports: [{ port: 80 }] } });
    expect((await postEvents(cluster, [{ type: "ADDED", object: again }]))[0]!.outcome).toBe("applied");
  });
});

