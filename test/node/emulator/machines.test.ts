import { describe, expect, it } from "vitest";
import { APP, IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();
const MACHINES = `/v1/apps/${APP}/machines`;

describe("machine create and get", () => {
  it("creates a machine Fly-shaped: 14-hex id, ULID version = instance_id, 6PN address, default region and guest", async () => {
    const m = await h.createMachine();
    expect(m.id).toMatch(/^[0-9a-f]{14}$/);
    expect(m.version).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(m.instance_id).toBe(m.version);
    expect(m.private_ip).toMatch(/^fdaa:/);
    expect(m.name).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
    expect(m).toMatchObject({ state: "created", region: "iad", host_status: "ok", cordoned: false });
    expect(m.config).toEqual({ image: IMAGE, guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } });
    expect(m.image_ref).toMatchObject({ registry: "registry-1.docker.io", repository: "library/nginx", tag: "1.27" });
    expect(m.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.events).toEqual([expect.objectContaining({ type: "launch", status: "created", source: "user" })]);
    expect(m.nonce).toBeUndefined();
  });

  it("boots a created machine to started, recording a flyd start event", async () => {
    const m = await h.createMachine({ name: "web-1", region: "ord" });
    await h.waitFor(m.id, "started");
    const { body } = await h.fly("GET", machinePath(m.id));
    expect(body).toMatchObject({ name: "web-1", region: "ord", state: "started" });
    expect(body.events.map((e: any) => `${e.type}/${e.status}/${e.source}`)).toEqual(["start/started/flyd", "launch/created/user"]);
  });

  it("keeps a skip_launch machine in created", async () => {
    const m = await h.createMachine({ skip_launch: true });
    await new Promise((r) => setTimeout(r, 60));
    expect((await h.fly("GET", machinePath(m.id))).body.state).toBe("created");
  });

  it("normalizes the config the way Fly echoes it: presets, Go durations, autostop booleans", async () => {
    const m = await h.createMachine({
      config: {
        image: IMAGE,
        size: "performance-2x",
        stop_config: { signal: "SIGTERM", timeout: 30_000_000_000 },
        checks: { alive: { type: "http", port: 8080, path: "/healthz", interval: "15s", timeout: 2_000_000_000 } },
        services: [
          { protocol: "tcp", internal_port: 8080, autostop: "off" },
          { protocol: "tcp", internal_port: 8081, autostop: "stop" },
          { protocol: "tcp", internal_port: 8082, autostop: "suspend" },
        ],
      },
    });
    expect(m.config.guest).toEqual({ cpu_kind: "performance", cpus: 2, memory_mb: 4096 });
    expect(m.config.stop_config).toEqual({ signal: "SIGTERM", timeout: "30s" });
    expect(m.config.checks.alive).toMatchObject({ interval: "15s", timeout: "2s" });
    expect(m.config.services.map((s: any) => s.autostop)).toEqual([false, true, "suspend"]);
  });

  it("reports configured checks: passing once started, critical before", async () => {
    const m = await h.createMachine({ config: { image: IMAGE, checks: { alive: { type: "tcp", port: 80 } } } });
    expect(m.checks).toEqual([expect.objectContaining({ name: "alive", status: "critical" })]);
    await h.waitFor(m.id, "started");
    expect((await h.fly("GET", machinePath(m.id))).body.checks).toEqual([expect.objectContaining({ name: "alive", status: "passing" })]);
    await h.setConfig({ checkStatus: "critical" });
    expect((await h.fly("GET", machinePath(m.id))).body.checks[0].status).toBe("critical");
  });

  it("reports each container's named healthchecks in checks[], each with its own status", async () => {
    const containers = [
      { name: "app", image: IMAGE, healthchecks: [{ name: "app-readiness", kind: "readiness", tcp: { port: 80 } }] },
      { name: "side", image: IMAGE, healthchecks: [{ name: "side-readiness", kind: "readiness", http: { port: 8080, path: "/" } }, { kind: "liveness", tcp: { port: 8081 } }] },
    ];
    const m = await h.createMachine({ config: { image: IMAGE, containers } });
    expect(m.checks.map((c: any) => [c.name, c.status])).toEqual([["app-readiness", "critical"], ["side-readiness", "critical"]]);
    await h.waitFor(m.id, "started");
    await h.control("PUT", `/_emulator/apps/${APP}/machines/${m.id}/checks`, { "side-readiness": "critical" });
    const checks = (await h.fly("GET", machinePath(m.id))).body.checks;
    expect(checks.map((c: any) => [c.name, c.status])).toEqual([["app-readiness", "passing"], ["side-readiness", "critical"]]);
  });

  it.each([
    ["no config", {}, "invalid config: required"],
    ["no image", { config: {} }, "invalid config.image: required"],
    ["a wrong type", { config: { image: IMAGE, guest: { cpus: "2" } } }, "invalid config.guest.cpus"],
    ["shared memory off the 256 MB grid", { config: { image: IMAGE, guest: { cpus: 1, memory_mb: 300 } } }, "invalid config.guest.memory_mb: 300 is not a multiple of 256"],
    ["too much memory per CPU", { config: { image: IMAGE, guest: { cpus: 1, memory_mb: 4096 } } }, "invalid config.guest.memory_mb: 4096 is outside 256..2048"],
    ["an odd CPU count", { config: { image: IMAGE, guest: { cpus: 3 } } }, "invalid config.guest.cpus: 3 is not one of"],
    ["a GPU", { config: { image: IMAGE, guest: { gpu_kind: "a100-pcie-40gb", gpus: 1 } } }, "invalid config.guest.gpu_kind"],
    ["an unknown preset", { config: { image: IMAGE, size: "huge" } }, "invalid config.size"],
    ["an unknown region", { config: { image: IMAGE }, region: "xyz" }, 'invalid region: "xyz" is not a Fly region'],
    ["a bad duration", { config: { image: IMAGE, stop_config: { timeout: "soon" } } }, "invalid config.stop_config.timeout"],
    ["a bad restart policy", { config: { image: IMAGE, restart: { policy: "sometimes" } } }, "invalid config.restart.policy"],
    ["two mounts", { config: { image: IMAGE, mounts: [{ volume: "a", path: "/a" }, { volume: "b", path: "/b" }] } }, "invalid config.mounts: a machine mounts at most one volume"],
    ["a relative file path", { config: { image: IMAGE, files: [{ guest_path: "etc/x", raw_value: "eA==" }] } }, "invalid config.files[0].guest_path: must be an absolute path"],
    ["a file with two sources", { config: { image: IMAGE, files: [{ guest_path: "/x", raw_value: "eA==", secret_name: "X" }] } }, "invalid config.files[0]: exactly one of"],
    ["a dependency on a missing container", { config: { image: IMAGE, containers: [{ name: "app", image: IMAGE, depends_on: [{ name: "db", condition: "started" }] }] } }, "invalid config.containers[0].depends_on[0].name"],
    ["malformed JSON", "{", "invalid JSON body"],
  ])("answers 400 naming the field for %s", async (_name, body, message) => {
    const res = await h.fly("POST", MACHINES, { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
  });

  it("answers 404 for unknown apps and machines", async () => {
    expect((await h.fly("GET", "/v1/apps/nope/machines")).body).toEqual({ error: "app not found" });
    const res = await h.fly("GET", machinePath("0123456789abcd"));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "machine not found" });
  });
});

describe("machine list", () => {
  const meta = (metadata: Record<string, string>) => ({ config: { image: IMAGE, metadata } });

  it("filters by metadata.<key>=<value> (ANDed), state, region; hides destroyed unless include_deleted", async () => {
    const a = await h.createMachine(meta({ machinelet_cluster: "c1", machinelet_pod: "a" }));
    const b = await h.createMachine({ ...meta({ machinelet_cluster: "c1", machinelet_pod: "b" }), skip_launch: true, region: "ord" });
    const other = await h.createMachine({ ...meta({ machinelet_cluster: "c2", machinelet_pod: "a" }), skip_launch: true });
    const ids = async (query: string) => (await h.fly("GET", `${MACHINES}?${query}`)).body.map((m: any) => m.id);

    expect(await ids("metadata.machinelet_cluster=c1")).toEqual([a.id, b.id]);
    expect(await ids("metadata.machinelet_cluster=c1&metadata.machinelet_pod=a")).toEqual([a.id]);
    expect(await ids("metadata.machinelet_pod=a")).toEqual([a.id, other.id]);
    expect(await ids("region=ord")).toEqual([b.id]);
    await h.waitFor(a.id, "started");
    expect(await ids("state=created")).toEqual([b.id, other.id]);
    expect(await ids("state=started,created&metadata.machinelet_cluster=c1")).toEqual([a.id, b.id]);

    expect((await h.fly("DELETE", machinePath(other.id))).status).toBe(200);
    await h.waitFor(other.id, "destroyed");
    expect(await ids("")).toEqual([a.id, b.id]);
    expect(await ids("include_deleted=true")).toEqual([a.id, b.id, other.id]);
  });

  it("pages with limit and the fly-next-cursor header", async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await h.createMachine({ skip_launch: true })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await h.fly("GET", `${MACHINES}?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.body.map((m: any) => m.id));
      cursor = res.headers.get("fly-next-cursor");
      pages++;
    } while (cursor);
    expect(seen).toEqual(made);
    expect(pages).toBe(3);
    expect((await h.fly("GET", `${MACHINES}?limit=0`)).status).toBe(400);
    expect((await h.fly("GET", `${MACHINES}?limit=1001`)).status).toBe(400);
    expect((await h.fly("GET", `${MACHINES}?cursor=abc`)).body.error).toContain("cursor requires limit");
    expect((await h.fly("GET", `${MACHINES}?limit=2&cursor=bogus`)).body.error).toContain("invalid cursor");
  });

  it("omits config, events and checks with summary=true", async () => {
    await h.createMachine();
    const [m] = (await h.fly("GET", `${MACHINES}?summary=true`)).body;
    expect(m.config).toBeUndefined();
    expect(m.events).toBeUndefined();
    expect(m.id).toBeDefined();
  });
});

describe("machine update", () => {
  it("replaces the whole config into a new version and boots a running machine into it", async () => {
    const m = await h.createMachine({ config: { image: IMAGE, env: { A: "1" }, metadata: { k: "v" } } });
    await h.waitFor(m.id, "started");
    const res = await h.fly("POST", machinePath(m.id), { body: { config: { image: "nginx:1.28" }, current_version: m.version } });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("replacing");
    expect(res.body.version).not.toBe(m.version);
    expect(res.body.config).toEqual({ image: "nginx:1.28", guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } });
    await h.waitFor(m.id, "started");
    const versions = (await h.fly("GET", machinePath(m.id, "/versions"))).body;
    expect(versions.map((v: any) => v.version)).toEqual([res.body.version, m.version]);
    expect(versions[1].user_config.env).toEqual({ A: "1" });
    const old = (await h.fly("GET", machinePath(m.id, `?version=${m.version}`))).body;
    expect(old).toMatchObject({ state: "replaced", version: m.version });
    expect(old.config.env).toEqual({ A: "1" });
    expect((await h.fly("GET", machinePath(m.id, "?version=01ARZ3NDEKTSV4RRFFQ69G5FAV"))).status).toBe(404);
  });

  it("starts a stopped machine in its new version (Fly: an update starts a stopped machine)", async () => {
    const m = await h.createMachine();
    await h.waitFor(m.id, "started");
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    await h.waitFor(m.id, "stopped");
    const res = await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE, env: { B: "2" } } } });
    await h.waitFor(m.id, "started");
    const now = (await h.fly("GET", machinePath(m.id))).body;
    expect(now).toMatchObject({ state: "started", version: res.body.version });
    expect(now.events[0]).toMatchObject({ type: "start", status: "started", source: "flyd" });
  });

  it("leaves a stopped machine stopped in its new version with skip_launch", async () => {
    const m = await h.createMachine();
    await h.waitFor(m.id, "started");
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    await h.waitFor(m.id, "stopped");
    const res = await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE, env: { B: "2" } }, skip_launch: true } });
    await h.waitFor(m.id, "settled");
    const now = (await h.fly("GET", machinePath(m.id))).body;
    expect(now).toMatchObject({ state: "stopped", version: res.body.version });
    expect(now.events[0]).toMatchObject({ type: "update", status: "stopped", source: "flyd" });
  });

  it("rejects a stale current_version with 409 and changes nothing", async () => {
    const m = await h.createMachine({ skip_launch: true });
    const res = await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE }, current_version: "01ARZ3NDEKTSV4RRFFQ69G5FAV" } });
    expect(res.status).toBe(409);
    expect(res.body.error).toContain(m.version);
    expect((await h.fly("GET", machinePath(m.id))).body.version).toBe(m.version);
  });

  it("refuses to change region or name, and needs a config", async () => {
    const m = await h.createMachine({ skip_launch: true });
    expect((await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE }, region: "ams" } })).body.error).toContain("invalid region");
    expect((await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE }, name: "other" } })).body.error).toContain("invalid name");
    expect((await h.fly("POST", machinePath(m.id), { body: {} })).body.error).toBe("invalid config: required");
  });
});

describe("machine delete", () => {
  it("refuses a non-forced delete of a started machine with 412, like Fly", async () => {
    const m = await h.createMachine();
    await h.waitFor(m.id, "started");
    const res = await h.fly("DELETE", machinePath(m.id));
    expect(res.status).toBe(412);
    expect(res.body.error).toBe("failed_precondition: unable to destroy machine, not currently stopped, suspended, failed or created");
  });

  it.each(["force=true", "kill=true"])("destroys a started machine with ?%s", async (query) => {
    const m = await h.createMachine();
    await h.waitFor(m.id, "started");
    expect((await h.fly("DELETE", machinePath(m.id, `?${query}`))).body).toEqual({ ok: true });
    await h.waitFor(m.id, "destroyed");
    const gone = (await h.fly("GET", machinePath(m.id))).body;
    expect(gone.state).toBe("destroyed");
    expect(gone.events.slice(0, 2).map((e: any) => `${e.type}/${e.status}/${e.source}`)).toEqual(["destroy/destroyed/flyd", "destroy/destroying/user"]);
    expect((await h.fly("POST", machinePath(m.id, "/start"))).body).toEqual({ error: "machine not found" });
    expect((await h.fly("DELETE", machinePath(m.id))).status).toBe(404);
  });

  it("deletes a machine that never ran without force, and forgets it after destroyedRetentionMs", async () => {
    await h.setConfig({ destroyedRetentionMs: 30 });
    const m = await h.createMachine({ skip_launch: true });
    expect((await h.fly("DELETE", machinePath(m.id))).status).toBe(200);
    await h.waitFor(m.id, "destroyed");
    await new Promise((r) => setTimeout(r, 80));
    expect((await h.fly("GET", machinePath(m.id))).status).toBe(404);
    expect((await h.fly("GET", `${MACHINES}?include_deleted=true`)).body).toEqual([]);
  });

  it("rejects a non-boolean force", async () => {
    const m = await h.createMachine({ skip_launch: true });
    expect((await h.fly("DELETE", machinePath(m.id, "?force=maybe"))).body.error).toContain("invalid force");
  });
});
