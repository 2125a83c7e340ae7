import { describe, expect, it } from "vitest";
import { APP, TOKEN, useEmulator } from "./harness";

const h = useEmulator();
const UNAUTHENTICATED = { error: "Authenticate: token validation error" };

describe("authentication", () => {
  it("answers 401 without a token or with an unknown one", async () => {
    expect(await h.fly("GET", `/v1/apps/${APP}`, { token: null })).toMatchObject({ status: 401, body: UNAUTHENTICATED });
    expect(await h.fly("GET", `/v1/apps/${APP}`, { token: "nope" })).toMatchObject({ status: 401, body: UNAUTHENTICATED });
  });

  it("accepts Bearer and FlyV1 schemes", async () => {
    expect((await h.fly("GET", `/v1/apps/${APP}`)).status).toBe(200);
    expect((await h.fly("GET", `/v1/apps/${APP}`, { token: null, headers: { authorization: `FlyV1 ${TOKEN}` } })).status).toBe(200);
  });

  it("answers unknown /v1 paths like Go's mux", async () => {
    expect(await h.fly("GET", `/v1/apps/${APP}/certificates-nope`)).toMatchObject({ status: 404, body: "404 page not found" });
  });

  it("does not ask control routes for a token", async () => {
    expect((await h.control("GET", "/_emulator/config")).status).toBe(200);
  });
});
