// TokenReview and SubjectAccessReview as kube-apiserver answers them for its static tokens, and
// users other than system:masters authenticated but forbidden (the stand-in has no RBAC).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raw, startFixture, type Fixture } from "./fixture";

let f: Fixture;
beforeAll(async () => {
  f = await startFixture({ users: { "viewer-token": { username: "viewer", uid: "v-1", groups: ["viewers"] } } });
});
afterAll(async () => {
  await f.standin.close();
});

const tokenReview = (spec: Record<string, unknown>, token?: string) =>
  raw(f.standin, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", { body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec }, token });
const accessReview = (spec: Record<string, unknown>) =>
  raw(f.standin, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", { body: { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec } });
const nodeProxy = { verb: "create", resource: "nodes", subresource: "proxy", name: "fks-x" };

describe("TokenReview", () => {
  it("the stand-in's own token is the admin in system:masters; another static token is its user", async () => {
    const admin = await tokenReview({ token: f.standin.token });
    expect(admin.status).toBe(201);
    expect(admin.json()).toMatchObject({
      kind: "TokenReview",
      apiVersion: "authentication.k8s.io/v1",
      status: { authenticated: true, user: { username: "admin", uid: "admin", groups: ["system:masters", "system:authenticated"] }, audiences: ["https://kubernetes.default.svc.cluster.local"] },
    });
    expect((await tokenReview({ token: "viewer-token" })).json().status).toMatchObject({ authenticated: true, user: { username: "viewer", groups: ["viewers", "system:authenticated"] } });
  });

  it("an unknown token is not authenticated; a foreign audience is refused with the reason; no token is a 400", async () => {
    expect((await tokenReview({ token: "nope" })).json().status).toEqual({ user: {}, authenticated: false });
    const foreign = (await tokenReview({ token: f.standin.token, audiences: ["vault"] })).json().status;
    expect(foreign).toMatchObject({ authenticated: false, error: expect.stringContaining("is invalid for the target audiences") });
    const empty = await tokenReview({ token: "" });
    expect([empty.status, empty.json().reason]).toEqual([400, "BadRequest"]);
  });

  it("needs the permission to review: a non-admin is forbidden, an unknown caller unauthorized", async () => {
    expect((await tokenReview({ token: "viewer-token" }, "viewer-token")).status).toBe(403);
    expect((await tokenReview({ token: "viewer-token" }, "nope")).status).toBe(401);
  });
});

describe("SubjectAccessReview", () => {
  it("allows system:masters, denies anyone else (no RBAC policy), and checks the spec", async () => {
    expect((await accessReview({ user: "admin", groups: ["system:masters"], resourceAttributes: nodeProxy })).json().status).toEqual({ allowed: true });
    const denied = (await accessReview({ user: "viewer", groups: ["viewers"], resourceAttributes: nodeProxy })).json().status;
    expect(denied).toMatchObject({ allowed: false });
    const noSubject = await accessReview({ resourceAttributes: nodeProxy });
    expect([noSubject.status, noSubject.json().reason]).toEqual([422, "Invalid"]);
    expect((await accessReview({ user: "admin" })).status).toBe(422);
  });
});

describe("users other than system:masters", () => {
  it("are authenticated and forbidden everywhere", async () => {
    const res = await raw(f.standin, "GET", "/api/v1/namespaces", { token: "viewer-token" });
    expect([res.status, res.json().message]).toEqual([403, 'forbidden: User "viewer" cannot get path "/api/v1/namespaces"']);
  });
});
