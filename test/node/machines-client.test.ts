/**
 * The Machines API client over real HTTP against the emulator: every operation, and every
 * error class a caller acts on.
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { MachinesClient } from "../../src/machines/client";
import { MachinesApiError, type MachinesErrorKind } from "../../src/machines/errors";
import { APP, IMAGE, ORG, TOKEN, useEmulator } from "./emulator/harness";

const h = useEmulator();
const client = (opts: { token?: string; timeoutMs?: number; baseUrl?: string } = {}) =>
  new MachinesClient({ baseUrl: opts.baseUrl ?? h.url, token: opts.token ?? TOKEN, timeoutMs: opts.timeoutMs });

async function failure(p: Promise<unknown>): Promise<MachinesApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MachinesApiError);
  return e as MachinesApiError;
}

async function started(c: MachinesClient, extra: Record<string, unknown> = {}) {
  const m = await c.createMachine(APP, { config: { image: IMAGE, ...extra } });
  await c.waitMachine(APP, m.id, { states: ["started"], timeoutS: 5 });
  return m;
}

describe("apps", () => {
  it("creates in an org, gets, lists and deletes an app", async () => {
    const c = client();
    await c.createApp("client-app", ORG);
    expect(await c.getApp("client-app")).toMatchObject({ name: "client-app" });
    expect((await c.listApps(ORG)).apps.map((a) => a.name)).toContain("client-app");
    await c.deleteApp("client-app");
    expect((await failure(c.getApp("client-app"))).kind).toBe("not_found");
  });
});

describe("machines", () => {
  it("create, get, update with current_version, stop, start, restart, signal, suspend, cordon, uncordon, events, delete", async () => {
    const c = client();
    const m = await started(c, { metadata: { role: "web" } });
    const got = await c.getMachine(APP, m.id);
    expect(got).toMatchObject({ id: m.id, state: "started", config: { image: IMAGE } });
    expect(got.private_ip).toMatch(/^fdaa:/);

    const updated = await c.updateMachine(APP, m.id, { config: { ...got.config!, image: `${IMAGE}-2` }, current_version: got.version });
    expect(updated.version).not.toBe(got.version);
    await c.waitMachine(APP, m.id, { states: ["started"], version: updated.version, timeoutS: 5 });

    await c.stopMachine(APP, m.id, { signal: "SIGTERM", timeout: "5s" });
    await c.waitMachine(APP, m.id, { states: ["stopped"], timeoutS: 5 });
    await c.startMachine(APP, m.id);
    await c.waitMachine(APP, m.id, { states: ["started"], timeoutS: 5 });
    await c.restartMachine(APP, m.id, { timeoutS: 1, signal: "SIGTERM" });
    await c.waitMachine(APP, m.id, { states: ["started"], timeoutS: 5 });
    await c.signalMachine(APP, m.id, "SIGHUP");
    await c.cordonMachine(APP, m.id);
    expect((await c.getMachine(APP, m.id)).cordoned).toBe(true);
    await c.uncordonMachine(APP, m.id);
    await c.suspendMachine(APP, m.id);
    await c.waitMachine(APP, m.id, { states: ["suspended"], timeoutS: 5 });

    const events = await c.listMachineEvents(APP, m.id, 50);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["launch", "start", "stop", "restart"]));
    await c.deleteMachine(APP, m.id, { force: true });
    await c.waitMachine(APP, m.id, { states: ["destroyed"], timeoutS: 5 });
  });

  it("lists by ANDed metadata filters and state, pages with fly-next-cursor, and includes deleted on request", async () => {
    const c = client();
    for (let i = 0; i < 5; i++) await c.createMachine(APP, { config: { image: IMAGE, metadata: { team: "a", n: String(i % 2) } }, skip_launch: true });
    const other = await c.createMachine(APP, { config: { image: IMAGE, metadata: { team: "b" } }, skip_launch: true });
    expect((await c.listMachines(APP, { metadata: { team: "a", n: "1" } })).machines).toHaveLength(2);
    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.listMachines(APP, { metadata: { team: "a" }, limit: 2, cursor });
      pages.push(page.machines.length);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.reduce((a, b) => a + b)).toBe(5);
    expect(pages.length).toBeGreaterThan(1);
    expect((await c.listMachines(APP, { state: ["created"] })).machines).toHaveLength(6);
    await c.deleteMachine(APP, other.id);
    await c.waitMachine(APP, other.id, { states: ["destroyed"], timeoutS: 5 });
    expect((await c.listMachines(APP, { metadata: { team: "b" } })).machines).toHaveLength(0);
    expect((await c.listMachines(APP, { metadata: { team: "b" }, includeDeleted: true })).machines).toHaveLength(1);
  });

  it("leases: acquire, refresh with the nonce, guard operations, release", async () => {
    const c = client();
    const m = await started(c);
    const lease = await c.acquireLease(APP, m.id, 30, "maintenance");
    expect(lease.nonce).toMatch(/^[0-9a-f]{12}$/);
    expect(await c.getLease(APP, m.id)).toMatchObject({ description: "maintenance" });
    expect((await failure(c.acquireLease(APP, m.id, 30))).kind).toBe("conflict");
    expect((await failure(c.stopMachine(APP, m.id))).kind).toBe("conflict");
    expect((await c.refreshLease(APP, m.id, lease.nonce, 60)).nonce).toBe(lease.nonce);
    await c.stopMachine(APP, m.id, {}, lease.nonce);
    await c.releaseLease(APP, m.id, lease.nonce);
    expect((await failure(c.getLease(APP, m.id))).kind).toBe("not_found");
  });

  it("metadata: get, patch (null deletes), set and delete one key", async () => {
    const c = client();
    const m = await c.createMachine(APP, { config: { image: IMAGE, metadata: { a: "1", b: "2" } }, skip_launch: true });
    await c.patchMetadata(APP, m.id, { b: null, c: "3" });
    expect(await c.getMetadata(APP, m.id)).toEqual({ a: "1", c: "3" });
    await c.setMetadataKey(APP, m.id, "d", "4");
    await c.deleteMetadataKey(APP, m.id, "a");
    expect(await c.getMetadata(APP, m.id)).toEqual({ c: "3", d: "4" });
  });

  it("exec answers the simulated result", async () => {
    const c = client();
    const m = await started(c);
    await h.setConfig({ exec: { rules: [{ command: ["echo", "hi"], exit_code: 0, stdout: "hi\n", stderr: "" }] } });
    expect(await c.exec(APP, m.id, { command: ["echo", "hi"], timeout: 5 })).toMatchObject({ exit_code: 0, stdout: "hi\n" });
  });
});

describe("volumes, secrets, IP assignments", () => {
  it("volumes: create, get, list, extend, delete", async () => {
    const c = client();
    const v = await c.createVolume(APP, { name: "data", region: "iad", size_gb: 1 });
    expect(v.id).toMatch(/^vol_/);
    expect(await c.getVolume(APP, v.id)).toMatchObject({ name: "data", size_gb: 1 });
    expect((await c.listVolumes(APP)).map((x) => x.id)).toContain(v.id);
    expect((await c.extendVolume(APP, v.id, 2)).volume.size_gb).toBe(2);
    await c.deleteVolume(APP, v.id);
  });

  it("secrets: versions increase on every write; values only with showSecrets", async () => {
    const c = client();
    const v1 = (await c.setSecret(APP, "A", "one")).version;
    const v2 = (await c.setSecrets(APP, { B: "two", C: "three" })).version;
    const v3 = (await c.deleteSecret(APP, "C")).version;
    expect(v2).toBeGreaterThan(v1);
    expect(v3).toBeGreaterThan(v2);
    const hidden = await c.listSecrets(APP);
    expect(hidden.secrets.map((s) => s.name).sort()).toEqual(["A", "B"]);
    expect(hidden.secrets.every((s) => s.value === undefined)).toBe(true);
    expect((await c.listSecrets(APP, { showSecrets: true })).secrets.find((s) => s.name === "A")?.value).toBe("one");
    expect((await c.setSecrets(APP, { B: null })).version).toBeGreaterThan(v3);
  });

  it("IP assignments: allocate private_v6, list, release", async () => {
    const c = client();
    const ip = await c.allocatePrivateIp(APP);
    expect(ip.ip).toMatch(/^fdaa:/);
    expect((await c.listIps(APP)).ips.map((x) => x.ip)).toContain(ip.ip);
    await c.releaseIp(APP, ip.ip);
    expect((await c.listIps(APP)).ips).toHaveLength(0);
  });
});

describe("errors are classified values", () => {
  const cases: Array<[MachinesErrorKind, string, () => Promise<{ err: MachinesApiError; extra?: () => void }>]> = [
    ["not_found", "a machine that does not exist", async () => ({ err: await failure(client().getMachine(APP, "0000000000000")) })],
    [
      "conflict",
      "an update with a stale current_version",
      async () => {
        const c = client();
        const m = await c.createMachine(APP, { config: { image: IMAGE }, skip_launch: true });
        return { err: await failure(c.updateMachine(APP, m.id, { config: { image: IMAGE }, current_version: "01HZZZZZZZZZZZZZZZZZZZZZZZ" })) };
      },
    ],
    [
      "precondition",
      "a start from created",
      async () => {
        const c = client();
        const m = await c.createMachine(APP, { config: { image: IMAGE }, skip_launch: true });
        return { err: await failure(c.startMachine(APP, m.id)) };
      },
    ],
    [
      "rate_limited",
      "a fourth create within a second",
      async () => {
        await h.setConfig({ rateLimits: true });
        const c = client();
        for (let i = 0; i < 3; i++) await c.createMachine(APP, { config: { image: IMAGE }, skip_launch: true });
        const err = await failure(c.createMachine(APP, { config: { image: IMAGE }, skip_launch: true }));
        return { err, extra: () => expect(err.retryAfterMs).toBeGreaterThan(0) };
      },
    ],
    [
      "transient",
      "a 503",
      async () => {
        await h.setConfig({ faults: { failNext: { "GET /v1/apps/{app_name}/machines/{machine_id}": 1 } } });
        return { err: await failure(client().getMachine(APP, "0000000000000")) };
      },
    ],
    [
      "transient",
      "a create answering 408 although the machine was made",
      async () => {
        await h.setConfig({ faults: { create408: 1 } });
        const c = client();
        const err = await failure(c.createMachine(APP, { config: { image: IMAGE, metadata: { k: "v" } }, skip_launch: true }));
        const found = (await c.listMachines(APP, { metadata: { k: "v" } })).machines;
        return { err, extra: () => (expect(err.mayHaveSucceeded).toBe(true), expect(err.status).toBe(408), expect(found).toHaveLength(1)) };
      },
    ],
    [
      "transient",
      "a request that times out",
      async () => {
        await h.setConfig({ latencyMs: 300 });
        const err = await failure(client({ timeoutMs: 50 }).getApp(APP));
        return { err, extra: () => expect(err.message).toMatch(/timed out/) };
      },
    ],
    [
      "transient",
      "a refused connection",
      async () => {
        const srv = createServer();
        await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
        const port = (srv.address() as { port: number }).port;
        await new Promise((r) => srv.close(r));
        const err = await failure(client({ baseUrl: `http://127.0.0.1:${port}` }).getApp(APP));
        return { err, extra: () => expect(err.message).toMatch(/network error/) };
      },
    ],
    ["unauthorized", "a wrong token", async () => ({ err: await failure(client({ token: "nope" }).getApp(APP)) })],
    [
      "invalid",
      "an unknown region, with Fly's message",
      async () => {
        const err = await failure(client().createMachine(APP, { region: "zzz", config: { image: IMAGE } }));
        return { err, extra: () => expect(err.message).toMatch(/invalid region/) };
      },
    ],
  ];
  it.each(cases)("%s: %s", async (kind, _what, run) => {
    const { err, extra } = await run();
    expect(err.kind).toBe(kind);
    extra?.();
  });
});
