import { describe, expect, it } from "vitest";
import { APP, IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();
const VOLUMES = `/v1/apps/${APP}/volumes`;

async function createVolume(body: Record<string, unknown> = {}) {
  const res = await h.fly("POST", VOLUMES, { body: { name: "data", region: "ord", ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}
const mounting = (volume: string, extra: Record<string, unknown> = {}) => ({ config: { image: IMAGE, mounts: [{ volume, path: "/data" }] }, ...extra });

describe("volumes", () => {
  it("creates with Fly's defaults and shapes", async () => {
    const v = await createVolume();
    expect(v.id).toMatch(/^vol_[a-z0-9]{16}$/);
    expect(v).toMatchObject({ name: "data", region: "ord", size_gb: 3, state: "created", encrypted: true, fstype: "ext4", snapshot_retention: 5, auto_backup_enabled: true, host_status: "ok" });
    expect(v.zone).toMatch(/^[0-9a-f]{4}$/);
    expect(v.attached_machine_id).toBeUndefined();
    expect((await h.fly("GET", `${VOLUMES}/${v.id}`)).body).toEqual(v);
  });

  it("validates create bodies", async () => {
    expect((await h.fly("POST", VOLUMES, { body: { name: "Bad-Name" } })).body.error).toContain("invalid name");
    expect((await h.fly("POST", VOLUMES, { body: {} })).body.error).toContain("invalid name: required");
    expect((await h.fly("POST", VOLUMES, { body: { name: "d", size_gb: 0 } })).body.error).toContain("invalid size_gb");
    expect((await h.fly("POST", VOLUMES, { body: { name: "d", region: "mars" } })).body.error).toContain("invalid region");
  });

  it("forks from a source volume", async () => {
    const source = await createVolume({ size_gb: 10 });
    const fork = await createVolume({ name: "copy", source_volume_id: source.id, region: undefined });
    expect(fork).toMatchObject({ size_gb: 10, region: "ord" });
  });

  it("lists live volumes with paging; updates; only grows", async () => {
    const a = await createVolume();
    const b = await createVolume({ name: "logs" });
    const first = await h.fly("GET", `${VOLUMES}?limit=1`);
    expect(first.body.map((v: any) => v.id)).toEqual([a.id]);
    const second = await h.fly("GET", `${VOLUMES}?limit=1&cursor=${first.headers.get("fly-next-cursor")}`);
    expect(second.body.map((v: any) => v.id)).toEqual([b.id]);
    expect(second.headers.get("fly-next-cursor")).toBeNull();
    expect((await h.fly("PUT", `${VOLUMES}/${a.id}`, { body: { snapshot_retention: 10, auto_backup_enabled: false } })).body).toMatchObject({ snapshot_retention: 10, auto_backup_enabled: false });
    const grown = await h.fly("PUT", `${VOLUMES}/${a.id}/extend`, { body: { size_gb: 5 } });
    expect(grown.body).toMatchObject({ volume: { id: a.id, size_gb: 5 }, needs_restart: false });
    expect((await h.fly("PUT", `${VOLUMES}/${a.id}/extend`, { body: { size_gb: 4 } })).body.error).toContain("volumes only grow");
  });

  it("binds to the machine that mounts it, which lands in the volume's region", async () => {
    const v = await createVolume();
    const m = await h.createMachine(mounting(v.id));
    expect(m.region).toBe("ord");
    expect(m.config.mounts).toEqual([{ volume: v.id, path: "/data" }]);
    expect((await h.fly("GET", `${VOLUMES}/${v.id}`)).body.attached_machine_id).toBe(m.id);
  });

  it("refuses a bound volume, another region, or an unknown volume", async () => {
    const v = await createVolume();
    const m = await h.createMachine(mounting(v.id));
    const again = await h.fly("POST", `/v1/apps/${APP}/machines`, { body: mounting(v.id) });
    expect(again.status).toBe(412);
    expect(again.body.error).toBe(`failed_precondition: volume ${v.id} is currently bound to machine: ${m.id}`);
    const other = await createVolume({ name: "other" });
    expect((await h.fly("POST", `/v1/apps/${APP}/machines`, { body: mounting(other.id, { region: "ams" }) })).body.error).toContain("is in region ord, not ams");
    expect((await h.fly("POST", `/v1/apps/${APP}/machines`, { body: mounting("vol_nope") })).body.error).toContain("volume vol_nope not found");
  });

  it("cannot swap a machine's volume by update", async () => {
    const v = await createVolume();
    const w = await createVolume({ name: "other" });
    const m = await h.createMachine(mounting(v.id, { skip_launch: true }));
    expect((await h.fly("POST", machinePath(m.id), { body: mounting(w.id) })).body.error).toContain("cannot be changed by an update");
    expect((await h.fly("POST", machinePath(m.id), { body: mounting(v.id) })).status).toBe(200);
  });

  it("refuses to delete a volume until its machine is destroyed (stopping is not enough); deletion is soft", async () => {
    const v = await createVolume();
    const m = await h.createMachine(mounting(v.id));
    await h.waitFor(m.id, "started");
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    await h.waitFor(m.id, "stopped");
    const refused = await h.fly("DELETE", `${VOLUMES}/${v.id}`);
    expect(refused.status).toBe(412);
    expect(refused.body).toEqual({ error: `failed_precondition: volume is currently bound to machine: ${m.id}` });
    await h.fly("DELETE", machinePath(m.id));
    await h.waitFor(m.id, "destroyed");
    const deleted = await h.fly("DELETE", `${VOLUMES}/${v.id}`);
    expect(deleted.body).toMatchObject({ id: v.id, state: "pending_destroy" });
    expect((await h.fly("GET", `${VOLUMES}/${v.id}`)).body.state).toBe("pending_destroy");
    expect((await h.fly("GET", VOLUMES)).body).toEqual([]);
    expect((await h.fly("DELETE", `${VOLUMES}/${v.id}`)).body).toEqual({ error: "volume not found" });
  });

  it("extend: needs_restart while a running machine has the volume mounted, not when it is stopped", async () => {
    const v = await createVolume({ size_gb: 1 });
    const m = await h.createMachine(mounting(v.id));
    await h.waitFor(m.id, "started");
    const live = await h.fly("PUT", `${VOLUMES}/${v.id}/extend`, { body: { size_gb: 2 } });
    expect(live.body).toMatchObject({ volume: { size_gb: 2 }, needs_restart: true });
    await h.fly("POST", machinePath(m.id, "/stop"), { body: {} });
    await h.waitFor(m.id, "stopped");
    expect((await h.fly("PUT", `${VOLUMES}/${v.id}/extend`, { body: { size_gb: 3 } })).body.needs_restart).toBe(false);
    const free = await createVolume({ name: "free" });
    expect((await h.fly("PUT", `${VOLUMES}/${free.id}/extend`, { body: { size_gb: 4 } })).body.needs_restart).toBe(false);
  });

  it("answers 404 volume not found", async () => {
    expect((await h.fly("GET", `${VOLUMES}/vol_0000000000000000`)).body).toEqual({ error: "volume not found" });
  });
});
