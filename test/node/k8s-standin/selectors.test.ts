// Label and field selectors: the parsers and matchers table by table, then over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SelectorError, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "../../../src/k8s/standin/selectors";
import type { Fixture } from "./fixture";
import { podSpec, raw, startFixture } from "./fixture";

describe("label selectors", () => {
  const labels = { app: "web", tier: "front", version: "3" };
  it.each([
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=api", false],
    ["app!=api", true],
    ["missing!=x", true],
    ["app in (web, api)", true],
    ["app in (api)", false],
    ["app notin (api,db)", true],
    ["missing notin (x)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["app=web,tier=front", true],
    ["app=web, tier=back", false],
    ["version>2", true],
    ["version<3", false],
    ["example.com/key", false],
    ["app=", false],
  ])("%j matches %s", (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it("parses every operator into requirements", () => {
    expect(parseLabelSelector("a=1,b!=2,c in (x,y),d notin (z),e,!f")).toEqual([
      { key: "a", operator: "=", values: ["1"] },
      { key: "b", operator: "!=", values: ["2"] },
      { key: "c", operator: "in", values: ["x", "y"] },
      { key: "d", operator: "notin", values: ["z"] },
      { key: "e", operator: "exists", values: [] },
      { key: "f", operator: "!exists", values: [] },
    ]);
  });

  it.each(["a=b=c", "a in x", "a in (x", "=b", "a,", "bad key=1", "a=bad value!", "a in ()", "a>x"])("rejects %j", (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
  });
});

describe("field selectors", () => {
  const fields = { "metadata.name": "web-0", "spec.nodeName": "", "status.phase": "Running" };
  it.each([
    ["metadata.name=web-0", true],
    ["metadata.name==web-0", true],
    ["metadata.name!=web-0", false],
    ["spec.nodeName=", true],
    ["spec.nodeName!=", false],
    ["status.phase=Running,metadata.name=web-0", true],
    ["status.phase=Running,metadata.name=web-1", false],
  ])("%j matches %s", (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector), fields)).toBe(expected);
  });

  it("honours backslash escapes in values", () => {
    expect(parseFieldSelector("metadata.name=a\\,b\\=c")).toEqual([{ field: "metadata.name", operator: "=", value: "a,b=c" }]);
  });

  it.each(["metadata.name", "=x", "metadata.name=\\q"])("rejects %j", (selector) => {
    expect(() => parseFieldSelector(selector)).toThrow(SelectorError);
  });
});

describe("selectors over HTTP", () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture();
    await f.core.createNamespace({ body: { metadata: { name: "sel" } } });
    const pod = (name: string, labels: Record<string, string>, nodeName?: string) =>
      f.core.createNamespacedPod({ namespace: "sel", body: { metadata: { name, labels }, spec: { ...podSpec(), schedulerName: "none", ...(nodeName ? { nodeName } : {}) } } });
    await pod("a", { app: "web", tier: "front" }, "sel-node");
    await pod("b", { app: "web", tier: "back" }, "other");
    await pod("c", { app: "db" });
  });
  afterAll(async () => {
    await f.standin.close();
  });

  const names = (list: { items: Array<{ metadata?: { name?: string } }> }) => list.items.map((p) => p.metadata?.name);

  it("filters lists by labels and by pod fields", async () => {
    expect(names(await f.core.listNamespacedPod({ namespace: "sel", labelSelector: "app=web,tier notin (back)" }))).toEqual(["a"]);
    expect(names(await f.core.listNamespacedPod({ namespace: "sel", labelSelector: "app in (web,db)" }))).toEqual(["a", "b", "c"]);
    expect(names(await f.core.listPodForAllNamespaces({ fieldSelector: "spec.nodeName=sel-node" }))).toEqual(["a"]);
    expect(names(await f.core.listNamespacedPod({ namespace: "sel", fieldSelector: "spec.nodeName=" }))).toEqual(["c"]);
    expect(names(await f.core.listNamespacedPod({ namespace: "sel", fieldSelector: "status.phase=Pending,metadata.name!=a" }))).toEqual(["b", "c"]);
    expect(names(await f.core.listPodForAllNamespaces({ fieldSelector: "metadata.namespace=sel,metadata.name=b" }))).toEqual(["b"]);
  });

  it("answers an unknown field or a malformed selector with 400", async () => {
    const unknown = await raw(f.standin, "GET", "/api/v1/pods?fieldSelector=spec.image%3Dx");
    expect(unknown.status).toBe(400);
    expect(unknown.json()).toMatchObject({ reason: "BadRequest", message: "field label not supported: spec.image" });
    const malformed = await raw(f.standin, "GET", "/api/v1/pods?labelSelector=a%20in%20x");
    expect(malformed.status).toBe(400);
    expect(malformed.json().message).toMatch(/^unable to parse requirement/);
  });
});
