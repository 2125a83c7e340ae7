import { describe, expect, it } from "vitest";
import { APP, IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();

async function withMetadata(metadata: Record<string, string>) {
  return h.createMachine({ config: { image: IMAGE, metadata }, skip_launch: true });
}

describe("machine metadata", () => {
  it("reads the whole map and single keys", async () => {
    const m = await withMetadata({ machinelet_cluster: "c1" });
    expect((await h.fly("GET", machinePath(m.id, "/metadata"))).body).toEqual({ machinelet_cluster: "c1" });
    expect((await h.fly("GET", machinePath(m.id, "/metadata/machinelet_cluster"))).body).toEqual({ value: "c1" });
    expect((await h.fly("GET", machinePath(m.id, "/metadata/missing"))).body).toEqual({ error: "metadata key not found" });
  });

  it("PATCH sets given keys, deletes null or empty ones, leaves the rest; PUT is an alias", async () => {
    const m = await withMetadata({ keep: "1", drop: "2", blank: "3" });
    const res = await h.fly("PATCH", machinePath(m.id, "/metadata"), { body: { metadata: { add: "4", drop: null, blank: "" } } });
    expect(res.status).toBe(204);
    expect((await h.fly("GET", machinePath(m.id, "/metadata"))).body).toEqual({ keep: "1", add: "4" });
    expect((await h.fly("PUT", machinePath(m.id, "/metadata"), { body: { metadata: { keep: "9" } } })).status).toBe(204);
    expect((await h.fly("GET", machinePath(m.id))).body.config.metadata).toEqual({ keep: "9", add: "4" });
  });

  it("writes in place: same version, and list filters see the change", async () => {
    const m = await withMetadata({});
    await h.fly("POST", machinePath(m.id, "/metadata/machinelet_pod"), { body: { value: "web" } });
    const now = (await h.fly("GET", machinePath(m.id))).body;
    expect(now.version).toBe(m.version);
    expect((await h.fly("GET", `/v1/apps/${APP}/machines?metadata.machinelet_pod=web`)).body.map((x: any) => x.id)).toEqual([m.id]);
    expect((await h.fly("DELETE", machinePath(m.id, "/metadata/machinelet_pod"))).status).toBe(204);
    expect((await h.fly("GET", `/v1/apps/${APP}/machines?metadata.machinelet_pod=web`)).body).toEqual([]);
  });

  it("rejects a stale machine_version with 412", async () => {
    const m = await withMetadata({ a: "1" });
    const res = await h.fly("PATCH", machinePath(m.id, "/metadata"), { body: { metadata: { a: "2" }, machine_version: "01ARZ3NDEKTSV4RRFFQ69G5FAV" } });
    expect(res.status).toBe(412);
    expect(res.body.error).toMatch(/^failed_precondition: machine version mismatch/);
    expect((await h.fly("PATCH", machinePath(m.id, "/metadata"), { body: { metadata: { a: "2" }, machine_version: m.version } })).status).toBe(204);
  });

  it("validates bodies", async () => {
    const m = await withMetadata({});
    expect((await h.fly("PATCH", machinePath(m.id, "/metadata"), { body: {} })).body.error).toContain("invalid metadata");
    expect((await h.fly("PATCH", machinePath(m.id, "/metadata"), { body: { metadata: { a: 1 } } })).body.error).toContain("invalid metadata.a");
    expect((await h.fly("POST", machinePath(m.id, "/metadata/k"), { body: {} })).body.error).toContain("invalid value");
  });
});
