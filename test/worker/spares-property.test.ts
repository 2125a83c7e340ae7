/**
 * Property: random interleavings of scale-up, scale-down, template change, a crash between a
 * claim's (or a park's, or a create's) call and its record, reconcile and time passing never leave
 * a pod with zero or two machines, a machine with two pods, nor (after the TTL and one reconcile)
 * a spare of a template no pod uses. Over the in-memory Machines fake (spares.test.ts's harness).
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { expect, it } from "vitest";
import { GONE, MACHINE_METADATA } from "../../src/worker/translate/machine-facts";
import { DEFAULT_SPARE_TTL_MS } from "../../src/worker/translate/spare-template";
import { withCluster, type Harness } from "./support/cluster-harness";
import { rsPod } from "./support/template-pods";

type Op =
  | { kind: "up"; template: number }
  | { kind: "down"; pick: number }
  | { kind: "lostUpdate" }
  | { kind: "lostCreate" }
  | { kind: "reconcile" }
  | { kind: "wait"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("up" as const), template: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("down" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "lostUpdate" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "lostCreate" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reconcile" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 1_000, max: DEFAULT_SPARE_TTL_MS }) }) },
);

/** Three templates: two images of one ReplicaSet (a template change) and one that keeps at most one spare. */
const TEMPLATES = [() => rsPod("aaaaaa"), () => rsPod("bbbbbb", { image: "nginx:1.28" }), () => rsPod("cccccc", { annotations: { "machinelet.fly.io/spares": "1" } })];

async function apply(h: Harness, o: Op, running: string[], objects: Map<string, ReturnType<typeof rsPod>>): Promise<void> {
  switch (o.kind) {
    case "up": {
      const p = TEMPLATES[o.template]!();
      objects.set(p.metadata.uid, p);
      h.event("ADDED", p);
      await h.converge(p.metadata.uid);
      running.push(p.metadata.uid);
      return;
    }
    case "down": {
      if (running.length === 0) return;
      const [uid] = running.splice(o.pick % running.length, 1);
      const p = objects.get(uid!)!;
      h.event("MODIFIED", { ...p, metadata: { ...p.metadata, resourceVersion: "200", deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 30 } });
      await h.converge(uid!);
      return;
    }
    case "lostUpdate":
      h.fly.update408 = 1;
      return;
    case "lostCreate":
      h.fly.create408 = 1;
      return;
    case "reconcile":
      await h.pass();
      return;
    case "wait":
      h.clock.now += o.ms;
  }
}

function checkOwnership(h: Harness, running: string[]): void {
  const live = [...h.fly.machines.values()].filter((m) => !GONE.has(m.state));
  const owners = new Map<string, number>();
  for (const m of live) {
    const uid = m.config?.metadata?.[MACHINE_METADATA.podUid];
    if (uid) owners.set(uid, (owners.get(uid) ?? 0) + 1);
  }
  const bound = new Set<string>();
  for (const uid of running) {
    const rec = h.pod(uid);
    expect(rec, `pod ${uid}`).toBeDefined();
    expect(owners.get(uid) ?? 0, `machines carrying pod ${uid}`).toBe(1);
    expect(rec!.machineId).not.toBeNull();
    expect(bound.has(rec!.machineId!), `machine ${rec!.machineId} bound twice`).toBe(false);
    bound.add(rec!.machineId!);
    expect(h.state.spares.get(rec!.machineId!), `machine ${rec!.machineId} both a pod's and a spare`).toBeUndefined();
  }
}

it("never a pod with zero or two machines, a machine with two pods, or a spare of a vanished template after one reconcile", async () => {
  const seed = Number((env as { FUZZ_SEED?: string }).FUZZ_SEED || Date.now() % 2 ** 31);
  console.log(`spares property seed: ${seed} (FUZZ_SEED=${seed} to replay)`);
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) =>
      withCluster(async (h) => {
        const running: string[] = [];
        const objects = new Map<string, ReturnType<typeof rsPod>>();
        for (const o of ops) await apply(h, o, running, objects);
        h.fly.update408 = 0;
        h.fly.create408 = 0;
        await h.pass();
        checkOwnership(h, running);
        // Every running pod gone, the TTL over, one reconcile: no spare left of a template no pod uses.
        while (running.length > 0) await apply(h, { kind: "down", pick: 0 }, running, objects);
        h.clock.now += DEFAULT_SPARE_TTL_MS + 1;
        await h.pass();
        const spares = [...h.fly.machines.values()].filter((m) => !GONE.has(m.state) && m.config?.metadata?.[MACHINE_METADATA.spare]);
        expect(spares.map((m) => `${m.id} ${m.state}`)).toEqual([]);
        expect(h.state.spares.all()).toEqual([]);
      }),
    ),
    { seed, numRuns: 40 },
  );
});
