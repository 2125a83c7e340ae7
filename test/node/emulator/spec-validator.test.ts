import { describe, expect, it } from "vitest";
import { SpecValidator } from "../../support/spec-validator";

/** The guard itself: it must reject what Fly would not send, or the emulator could drift unnoticed. */
const v = new SpecValidator();
const machine = { id: "1857156b526dd8", state: "started", config: { image: "nginx", guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } } };

describe("SpecValidator", () => {
  it("finds operations by method and path template", () => {
    expect(v.operation("GET", "/v1/apps/a/machines/b")?.operationId).toBe("Machines_show");
    expect(v.operation("GET", "/v1/apps/a/machines/b/wait?state=started")?.operationId).toBe("Machines_wait");
    expect(v.operation("POST", "/v1/apps/a/machines/b")?.operationId).toBe("Machines_update");
    expect(v.operation("GET", "/v1/nothing")).toBeUndefined();
  });

  it("accepts a spec-shaped body", () => {
    expect(() => v.assertValid({ method: "GET", path: "/v1/apps/a/machines/b", status: 200, body: machine })).not.toThrow();
  });

  it.each([
    ["a field the spec does not have", { ...machine, surprise: 1 }, /must NOT have additional properties: surprise/],
    ["a wrong type", { ...machine, state: 3 }, /\/state must be string/],
    ["a nested unknown config field", { ...machine, config: { ...machine.config, imagee: "x" } }, /\/config must NOT have additional properties: imagee/],
  ])("rejects %s", (_name, body, message) => {
    expect(() => v.assertValid({ method: "GET", path: "/v1/apps/a/machines/b", status: 200, body })).toThrow(message);
  });

  it("rejects a success status the operation does not declare", () => {
    expect(() => v.assertValid({ method: "POST", path: "/v1/apps/a/machines", status: 201, body: machine })).toThrow(/status 201 is not a success status/);
  });

  it("applies the wire corrections: lease envelope, action bodies, error bodies, autostop booleans", () => {
    const lease = { status: "success", data: { nonce: "5c35f65c9f95", expires_at: 1708569778, owner: "o", description: "", version: "01HQ73A7BFFDF1B6WMGHFZZ4E7" } };
    expect(() => v.assertValid({ method: "POST", path: "/v1/apps/a/machines/b/lease", status: 201, body: lease })).not.toThrow();
    expect(() => v.assertValid({ method: "POST", path: "/v1/apps/a/machines/b/lease", status: 201, body: lease.data })).toThrow();
    expect(() => v.assertValid({ method: "POST", path: "/v1/apps/a/machines/b/stop", status: 200, body: { ok: true } })).not.toThrow();
    expect(() => v.assertValid({ method: "POST", path: "/v1/apps/a/machines/b/start", status: 200, body: { previous_state: "stopped", migrated: false, new_host: "" } })).not.toThrow();
    expect(() => v.assertValid({ method: "GET", path: "/v1/apps/a/machines/b", status: 404, body: { error: "machine not found" } })).not.toThrow();
    expect(() => v.assertValid({ method: "GET", path: "/v1/apps/a/machines/b", status: 404, body: { message: "nope" } })).toThrow();
    const services = [{ internal_port: 80, autostop: false }, { internal_port: 81, autostop: "suspend" }];
    expect(() => v.assertValid({ method: "GET", path: "/v1/apps/a/machines/b", status: 200, body: { ...machine, config: { ...machine.config, services } } })).not.toThrow();
  });

  it("wants an empty body where the spec declares none, and Go's text for unknown paths", () => {
    expect(() => v.assertValid({ method: "DELETE", path: "/v1/apps/a", status: 202, body: undefined })).not.toThrow();
    expect(() => v.assertValid({ method: "DELETE", path: "/v1/apps/a", status: 202, body: { ok: true } })).toThrow(/declares no body/);
    expect(() => v.assertValid({ method: "GET", path: "/v1/nothing", status: 404, body: "404 page not found" })).not.toThrow();
    expect(() => v.assertValid({ method: "GET", path: "/v1/nothing", status: 200, body: {} })).toThrow(/no such operation/);
  });
});
