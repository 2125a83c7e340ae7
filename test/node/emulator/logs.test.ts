import { describe, expect, it } from "vitest";
import { APP, IMAGE, TOKEN, useEmulator } from "./harness";

const h = useEmulator();

async function started(config: Record<string, unknown> = { image: IMAGE }) {
  const m = await h.createMachine({ config });
  await h.waitFor(m.id, "started");
  return m;
}

async function logs(query = "", token = TOKEN) {
  const res = await fetch(`${h.url}/api/v1/apps/${APP}/logs${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}

describe("logs endpoint", () => {
  it("serves lifecycle and injected lines as JSON:API, filtered by instance, paged by next_token", async () => {
    const a = await started();
    const b = await started();
    expect((await h.control("POST", `/_emulator/apps/${APP}/machines/${a.id}/logs`, { lines: ["hello", "world"] })).status).toBe(200);
    await h.control("POST", `/_emulator/apps/${APP}/machines/${b.id}/logs`, { lines: ["other"] });
    const first = await logs(`?instance=${a.id}`);
    expect(first.status).toBe(200);
    const messages = first.body.data.map((d: any) => d.attributes.message);
    expect(messages).toContain("Configuring firecracker");
    expect(messages.slice(-2)).toEqual(["hello", "world"]);
    expect(messages).not.toContain("other");
    const line = first.body.data.at(-1);
    expect(line).toMatchObject({ type: "logs", attributes: { instance: a.id, level: "info", meta: { event: { provider: "app" } } } });
    expect(line.attributes.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect((await logs(`?instance=${a.id}&next_token=${first.body.meta.next_token}`)).body.data).toEqual([]);
    await h.control("POST", `/_emulator/apps/${APP}/machines/${a.id}/logs`, { lines: ["again"] });
    const next = await logs(`?instance=${a.id}&next_token=${first.body.meta.next_token}`);
    expect(next.body.data.map((d: any) => d.attributes.message)).toEqual(["again"]);
  });

  it("answers the newest 100 first, then pages forward; exits are logged by the runner", async () => {
    const m = await started();
    await h.control("POST", `/_emulator/apps/${APP}/machines/${m.id}/logs`, { lines: Array.from({ length: 150 }, (_, i) => `line ${i}`) });
    const page = await logs(`?instance=${m.id}`);
    expect(page.body.data).toHaveLength(100);
    expect(page.body.data.at(-1).attributes.message).toBe("line 149");
    await h.control("POST", `/_emulator/apps/${APP}/machines/${m.id}/exit`, { exitCode: 3 });
    const after = await logs(`?instance=${m.id}&next_token=${page.body.meta.next_token}`);
    expect(after.body.data[0].attributes).toMatchObject({ message: "Main child exited with code: 3", level: "error", meta: { event: { provider: "runner" } } });
  });

  it("needs a token, a known app and a sane next_token; injected lines name a real container", async () => {
    expect((await logs("", "wrong")).status).toBe(401);
    expect((await fetch(`${h.url}/api/v1/apps/nope/logs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await logs("?next_token=abc")).status).toBe(400);
    const m = await started({ image: IMAGE, containers: [{ name: "app", image: IMAGE }] });
    expect((await h.control("POST", `/_emulator/apps/${APP}/machines/${m.id}/logs`, { lines: ["x"], container: "db" })).status).toBe(400);
    await h.control("POST", `/_emulator/apps/${APP}/machines/${m.id}/logs`, { lines: ["x"], container: "app" });
    expect((await logs(`?instance=${m.id}`)).body.data.at(-1).attributes.meta.container).toBe("app");
  });
});

describe("queued exec results", () => {
  it("answer the next execs in order, then the configured default; a long one is a 408", async () => {
    const m = await started();
    const path = `/_emulator/apps/${APP}/machines/${m.id}/exec-results`;
    await h.control("POST", path, { stdout: "hi\n", stderr: "", exit_code: 3 });
    await h.control("POST", path, { stdout: "slow", exit_code: 0, duration_ms: 2000 });
    const exec = (body: unknown) => h.fly("POST", `/v1/apps/${APP}/machines/${m.id}/exec`, { body });
    expect((await exec({ command: ["sh", "-c", "echo hi; exit 3"] })).body).toEqual({ exit_code: 3, stdout: "hi\n", stderr: "" });
    const slow = await exec({ command: ["sleep", "2"], timeout: 1 });
    expect(slow.status).toBe(408);
    expect(slow.body.error).toContain("deadline_exceeded");
    expect((await exec({ command: ["true"] })).body).toEqual({ exit_code: 0, stdout: "", stderr: "" });
    expect((await h.control("POST", path, { stdout: "x" })).status).toBe(400);
  });
});
