import { describe, expect, it } from "vitest";
import { APP, useEmulator } from "./harness";

const h = useEmulator();
const SECRETS = `/v1/apps/${APP}/secrets`;

describe("app secrets", () => {
  it("sets one secret (201) and bumps the version on every write", async () => {
    const first = await h.fly("POST", `${SECRETS}/DB_URL`, { body: { value: "postgres://x" } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: "DB_URL", version: 1, Version: 1 });
    expect(first.body.value).toBeUndefined();
    expect(first.body.digest).toMatch(/^[0-9a-f]{16}$/);
    expect((await h.fly("POST", `${SECRETS}/DB_URL`, { body: { value: "postgres://y" } })).body.version).toBe(2);
    expect((await h.fly("DELETE", `${SECRETS}/DB_URL`)).body).toEqual({ version: 3, Version: 3 });
  });

  it("bulk-sets and unsets with null in one version", async () => {
    await h.fly("POST", `${SECRETS}/OLD`, { body: { value: "x" } });
    const res = await h.fly("POST", SECRETS, { body: { values: { A: "1", B: "2", OLD: null } } });
    expect(res.body.version).toBe(2);
    expect(res.body.secrets.map((s: any) => s.name)).toEqual(["A", "B"]);
  });

  it("shows values only with show_secrets=true", async () => {
    await h.fly("POST", SECRETS, { body: { values: { A: "1" } } });
    expect((await h.fly("GET", SECRETS)).body.secrets[0].value).toBeUndefined();
    expect((await h.fly("GET", `${SECRETS}?show_secrets=true`)).body.secrets[0].value).toBe("1");
    expect((await h.fly("GET", `${SECRETS}/A`)).body).toMatchObject({ name: "A" });
    expect((await h.fly("GET", `${SECRETS}/A?show_secrets=1`)).body.value).toBe("1");
  });

  it("answers 404 for missing secrets and 400 for bad names or values", async () => {
    expect((await h.fly("GET", `${SECRETS}/NOPE`)).body).toEqual({ error: "secret not found" });
    expect((await h.fly("DELETE", `${SECRETS}/NOPE`)).status).toBe(404);
    expect((await h.fly("POST", `${SECRETS}/1BAD`, { body: { value: "x" } })).body.error).toContain("invalid secret_name");
    expect((await h.fly("POST", `${SECRETS}/OK`, { body: {} })).body.error).toContain("invalid value");
    expect((await h.fly("POST", SECRETS, { body: { values: { "bad-name": "x" } } })).status).toBe(400);
  });
});
