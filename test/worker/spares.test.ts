/**
 * Warm capacity, driven without HTTP (real intake, convergence, reconcile and SQLite stores over
 * the in-memory Machines fake): a scaled-down pod's machine kept as a stopped spare of its
 * template, the next pod of the template taking it over with one update, crashes between the
 * steps, and the reconcile's part (TTL, count, unknown spares). spares-emulator.test.ts checks
 * the exactness of a pod served from a spare against the emulator.
 */
import { describe, expect, it } from "vitest";
import type { Machine } from "../../src/machines/schemas";
import { MACHINE_METADATA } from "../../src/worker/translate/machine-facts";
import { machineConfigHash } from "../../src/worker/translate/machine-config-hash";
import { DEFAULT_SPARE_TTL_MS } from "../../src/worker/translate/spare-template";
import { rsPod } from "./support/template-pods";
import { withCluster, type Harness } from "./support/cluster-harness";

type RsPod = ReturnType<typeof rsPod>;

async function up(h: Harness, p: RsPod): Promise<string> {
  expect(h.event("ADDED", p).outcome).toBe("applied");
  await h.converge(p.metadata.uid);
  const rec = h.pod(p.metadata.uid)!;
  expect(rec.phase).toBe("Running");
  return rec.machineId!;
}

/** A scale-down: the ReplicaSet controller deletes the pod gracefully. */
async function down(h: Harness, p: RsPod): Promise<void> {
  const deleting = { ...p, metadata: { ...p.metadata, resourceVersion: "200", deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 30 } };
  expect(h.event("MODIFIED", deleting).outcome).toBe("applied");
  await h.converge(p.metadata.uid);
}

const spareKeyOf = (m: Machine | undefined) => m?.config?.metadata?.[MACHINE_METADATA.spare];

describe("spares: scale-down keeps, scale-up claims", () => {
  it("a scaled-down ReplicaSet pod's machine is stopped and kept as a spare without the pod's identity", () =>
    withCluster(async (h) => {
      const a = rsPod();
      const id = await up(h, a);
      h.fly.calls.length = 0;
      await down(h, a);
      expect(h.fly.ops.filter((op) => op !== "wait" && op !== "get")).toEqual(["stop", "update"]);
      const update = h.fly.calls.find((c) => c.op === "update")!.args as { skip_launch?: boolean };
      expect(update.skip_launch).toBe(true);
      const m = h.fly.machines.get(id)!;
      expect(m.state).toBe("stopped");
      expect(m.config?.metadata).toEqual({ [MACHINE_METADATA.cluster]: "table", [MACHINE_METADATA.spare]: expect.stringMatching(/^[0-9a-f]{16}$/) });
      expect(JSON.stringify(m.config)).not.toContain(a.metadata.name);
      expect(m.config?.services).toBeUndefined();
      expect(h.pod(a.metadata.uid)).toBeUndefined();
      expect(h.state.pods.isTombstoned(a.metadata.uid)).toBe(true);
      expect(h.state.spares.all()).toEqual([expect.objectContaining({ machineId: id, state: "ready" })]);
    }));

  it("the next pod of the template takes the spare over with one update carrying current_version: its config exactly, no create", () =>
    withCluster(async (h) => {
      const a = rsPod();
      const id = await up(h, a);
      await down(h, a);
      const spareVersion = h.fly.machines.get(id)!.version;
      h.fly.calls.length = 0;
      const b = rsPod();
      expect(await up(h, b)).toBe(id);
      expect(h.fly.ops.filter((op) => op === "create" || op === "update" || op === "start")).toEqual(["update"]);
      expect((h.fly.calls.find((c) => c.op === "update")!.args as { current_version?: string }).current_version).toBe(spareVersion);
      const rec = h.pod(b.metadata.uid)!;
      const m = h.fly.machines.get(id)!;
      expect(machineConfigHash(m.config!)).toBe(rec.configHash);
      expect(m.config?.metadata?.[MACHINE_METADATA.podUid]).toBe(b.metadata.uid);
      expect(m.config?.env?.POD_NAME ?? JSON.stringify(m.config)).not.toContain(a.metadata.name);
      expect(rec.appliedHash).toBe(rec.configHash);
      // Its own status: the old pod's exit is not its restart or last state.
      const cs = rec.status?.containerStatuses?.[0];
      expect(cs).toMatchObject({ restartCount: 0, lastState: {} });
      expect(rec.status?.conditions?.find((c) => c.type === "machinelet.fly.io/FromSpare")).toMatchObject({ status: "True" });
      expect(h.state.spares.all()).toEqual([]);
      expect(h.decisions.map((d) => d.action)).toContain("claim-spare");
    }));

  it("a pod of another template, or with its own volume, never takes the spare", () =>
    withCluster(async (h) => {
      const a = rsPod("aaaaaa");
      await up(h, a);
      await down(h, a);
      h.fly.calls.length = 0;
      await up(h, rsPod("bbbbbb"));
      expect(h.fly.ops).toContain("create");
      expect(h.state.spares.all()).toHaveLength(1);
    }));

  it("spares: \"0\" on the template destroys the machine as before", () =>
    withCluster(async (h) => {
      const a = rsPod("7d9f8c", { annotations: { "machinelet.fly.io/spares": "0" } });
      const id = await up(h, a);
      await down(h, a);
      expect(h.fly.ops).toContain("delete");
      expect(["destroying", "destroyed"]).toContain(h.fly.machines.get(id)?.state ?? "destroyed");
      expect(h.state.spares.all()).toEqual([]);
    }));

  it("beyond the template's count, a scaled-down machine is destroyed", () =>
    withCluster(async (h) => {
      const annotations = { "machinelet.fly.io/spares": "1" };
      const [a, b] = [rsPod("7d9f8c", { annotations }), rsPod("7d9f8c", { annotations })];
      await up(h, a);
      const idB = await up(h, b);
      await down(h, a);
      await down(h, b);
      expect(h.state.spares.all()).toHaveLength(1);
      expect(["destroying", "destroyed"]).toContain(h.fly.machines.get(idB)?.state ?? "destroyed");
    }));
});

describe("spares: crashes and the reconcile", () => {
  it("a claim whose update answer is lost is settled by reading the machine: one machine, bound once", () =>
    withCluster(async (h) => {
      const a = rsPod();
      const id = await up(h, a);
      await down(h, a);
      h.fly.update408 = 1;
      const b = rsPod();
      expect(h.event("ADDED", b).outcome).toBe("applied");
      await h.converge(b.metadata.uid);
      const rec = h.pod(b.metadata.uid)!;
      expect(rec).toMatchObject({ machineId: id, phase: "Running" });
      expect(rec.appliedHash).toBe(rec.configHash);
      expect(h.fly.ops.filter((op) => op === "create")).toHaveLength(1); // a's only
      expect(h.state.spares.all()).toEqual([]);
    }));

  it("a claim that crashed after its update and before its record is adopted by the reconcile as a claim", () =>
    withCluster(async (h) => {
      const a = rsPod();
      const id = await up(h, a);
      await down(h, a);
      const b = rsPod();
      h.event("ADDED", b);
      // The step's storage write never happened: a claim row and the machine updated, nothing bound.
      const claim = h.state.spares.claim(h.state.spares.all()[0]!.key, b.metadata.uid, h.clock.now)!;
      h.state.spares.markClaimUpdate(claim.machineId, h.clock.now);
      await h.fly.updateMachine("fks-table", id, { config: h.pod(b.metadata.uid)!.config!, current_version: claim.machineVersion ?? undefined });
      await h.pass();
      const rec = h.pod(b.metadata.uid)!;
      expect(rec.machineId).toBe(id);
      expect(rec.machineSince).not.toBeNull();
      expect(h.state.spares.all()).toEqual([]);
      expect(h.fly.ops.filter((op) => op === "create")).toHaveLength(1);
    }));

  it("a park that crashed after its update is finished from the machine's metadata", () =>
    withCluster(async (h) => {
      const a = rsPod();
      const id = await up(h, a);
      h.fly.update408 = 1;
      await down(h, a);
      expect(h.pod(a.metadata.uid)).toBeUndefined();
      expect(h.state.spares.all()).toEqual([expect.objectContaining({ machineId: id, state: "ready" })]);
      expect(spareKeyOf(h.fly.machines.get(id))).toBeDefined();
    }));

  it("spares past their TTL are destroyed and their template forgotten; an unknown spare is an orphan", () =>
    withCluster(async (h) => {
      const a = rsPod();
      const id = await up(h, a);
      await down(h, a);
      const stray = await h.fly.createMachine("fks-table", { config: { image: "nginx:1.27", metadata: { [MACHINE_METADATA.cluster]: "table", [MACHINE_METADATA.spare]: "0123456789abcdef" } } });
      await h.pass();
      expect(h.state.spares.all()).toHaveLength(1);
      h.clock.now += DEFAULT_SPARE_TTL_MS + 1;
      await h.pass();
      expect(h.fly.machines.get(id)?.state).toBe("destroying");
      expect(h.fly.machines.get(stray.id)?.state).toBe("destroying");
      expect(h.state.spares.all()).toEqual([]);
      expect(h.state.spares.templates()).toEqual([]);
    }));
});

describe("spares: pre-warming", () => {
  it("a template asking for N spares gets N stopped ones created ahead of need, only from create tokens the pods leave over", () =>
    withCluster(async (h) => {
      const annotations = { "machinelet.fly.io/spares": "3" };
      await up(h, rsPod("7d9f8c", { annotations }));
      h.clock.now += 10_000; // the create bucket refills (burst 3)
      // Two of the three tokens go to spares, one stays for the next pod; one more a second later.
      expect(await h.prewarm()).toBe(1);
      expect(h.state.spares.all()).toHaveLength(2);
      expect(h.budget.reserve("create", "fks-table")).toBe(0); // a pod that arrives now is not delayed
      h.clock.now += 2_000;
      expect(await h.prewarm()).toBe(0);
      const spares = h.state.spares.all();
      expect(spares).toHaveLength(3);
      for (const s of spares) {
        const m = h.fly.machines.get(s.machineId)!;
        expect(m.state).toBe("created");
        expect(Object.keys(m.config?.metadata ?? {}).sort()).toEqual([MACHINE_METADATA.cluster, MACHINE_METADATA.spare]);
      }
      const creates = h.fly.calls.filter((c) => c.op === "create").slice(1);
      expect(creates.every((c) => (c.args as { skip_launch?: boolean }).skip_launch === true)).toBe(true);
      // Three new pods at once take the three spares: no create.
      h.fly.calls.length = 0;
      for (let i = 0; i < 3; i++) await up(h, rsPod("7d9f8c", { annotations }));
      expect(h.fly.ops).not.toContain("create");
      expect(h.state.spares.all()).toEqual([]);
    }));

  it("a pre-warm create whose answer was lost is adopted by the next reconcile, never leaked", () =>
    withCluster(async (h) => {
      const annotations = { "machinelet.fly.io/spares": "1" };
      await up(h, rsPod("7d9f8c", { annotations }));
      h.clock.now += 10_000;
      h.fly.create408 = 1;
      expect(await h.prewarm()).toBe(1);
      expect(h.state.spares.all()).toEqual([]);
      await h.pass();
      expect(h.state.spares.all()).toHaveLength(1);
      expect(h.decisions.map((d) => d.action)).toContain("adopt-spare");
    }));

  it("no spares are pre-warmed while a pod waits for its create", () =>
    withCluster(async (h) => {
      const annotations = { "machinelet.fly.io/spares": "5" };
      await up(h, rsPod("7d9f8c", { annotations }));
      while (h.budget.reserve("create", "fks-table") === 0); // pods took every token and one queues
      expect(await h.prewarm()).toBe(5);
      expect(h.fly.ops.filter((op) => op === "create")).toHaveLength(1);
    }));
});
