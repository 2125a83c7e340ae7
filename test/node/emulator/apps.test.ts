import { describe, expect, it } from "vitest";
import { APP, ORG, useEmulator } from "./harness";

const h = useEmulator();

describe("apps", () => {
  it("has the configured app from the start", async () => {
    const res = await h.fly("GET", `/v1/apps/${APP}`);
    expect(res.body).toMatchObject({ name: APP, status: "pending", organization: { slug: ORG }, machine_count: 0, network: "default" });
    expect(res.body.id).toMatch(/^[a-z0-9]{16}$/);
  });

  it("creates with name or app_name (201 {id, created_at}) and answers 422 name_taken for a taken name", async () => {
    const res = await h.fly("POST", "/v1/apps", { body: { name: "fks-new", org_slug: ORG } });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[a-z0-9]{16}$/);
    expect(res.body.created_at).toBeGreaterThan(1_700_000_000_000);
    expect((await h.fly("POST", "/v1/apps", { body: { app_name: "fks-other", org_slug: ORG } })).status).toBe(201);
    const taken = await h.fly("POST", "/v1/apps", { body: { app_name: "fks-new", org_slug: ORG } });
    expect(taken.status).toBe(422);
    expect(taken.body.status).toBe("name_taken");
  });

  it("makes a retry with the same idempotency_key safe", async () => {
    const body = { name: "fks-idem", org_slug: ORG, idempotency_key: "k1" };
    const first = await h.fly("POST", "/v1/apps", { body });
    const again = await h.fly("POST", "/v1/apps", { body });
    expect(again).toMatchObject({ status: 201, body: first.body });
    expect((await h.fly("POST", "/v1/apps", { body: { ...body, name: "fks-else" } })).status).toBe(422);
  });

  it("validates create bodies", async () => {
    expect((await h.fly("POST", "/v1/apps", { body: { org_slug: ORG } })).body.error).toBe("invalid name: required");
    expect((await h.fly("POST", "/v1/apps", { body: { name: "Bad_Name", org_slug: ORG } })).body.error).toContain("invalid name");
    expect((await h.fly("POST", "/v1/apps", { body: { name: "ok-name" } })).body.error).toBe("invalid org_slug: required");
  });

  it("lists an org's apps with machine counts and paging", async () => {
    await h.fly("POST", "/v1/apps", { body: { name: "fks-b", org_slug: ORG } });
    await h.fly("POST", "/v1/apps", { body: { name: "elsewhere", org_slug: "another-org" } });
    await h.createMachine();
    const all = await h.fly("GET", `/v1/apps?org_slug=${ORG}`);
    expect(all.body.total_apps).toBe(2);
    expect(all.body.apps.map((a: any) => [a.name, a.machine_count])).toEqual([[APP, 1], ["fks-b", 0]]);
    const page = await h.fly("GET", `/v1/apps?org_slug=${ORG}&limit=1`);
    expect(page.body.apps.map((a: any) => a.name)).toEqual([APP]);
    const next = await h.fly("GET", `/v1/apps?org_slug=${ORG}&limit=1&cursor=${page.body.next_cursor}`);
    expect(next.body.apps.map((a: any) => a.name)).toEqual(["fks-b"]);
    expect(next.body.next_cursor).toBeUndefined();
    expect((await h.fly("GET", "/v1/apps")).body.error).toBe("invalid org_slug: required");
  });

  it("deletes an app with everything in it (202), then 404 app not found", async () => {
    const m = await h.createMachine();
    expect((await h.fly("DELETE", `/v1/apps/${APP}`)).status).toBe(202);
    expect((await h.fly("GET", `/v1/apps/${APP}`)).body).toEqual({ error: "app not found" });
    expect((await h.fly("GET", `/v1/apps/${APP}/machines/${m.id}`)).body).toEqual({ error: "app not found" });
  });
});
