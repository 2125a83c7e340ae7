/**
 * The batched path a snapshot of thousands of pods takes: admissions held back and written together
 * at the batch's end (visible to every statement that runs after them), and a pass adopting the
 * machines of many pods at once (state lost after their creates), each row written once.
 */
import { describe, expect, it } from "vitest";
import { withBatchedWrites } from "../../src/worker/cluster/state";
import { pod } from "./helpers";
import { withCluster } from "./support/cluster-harness";

/** A pod whose container reads Secret `db` and that mounts claim `data`. */
const referencing = () =>
  pod({
    spec: {
      volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }],
      containers: [{ name: "web", image: "nginx:1.27", env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "pw" } } }], volumeMounts: [{ name: "d", mountPath: "/d" }] }],
    },
  });

describe("admissions in a batch", () => {
  it("are seen by every statement after them: lookups, reference index, admission order", () =>
    withCluster(async (h) => {
      const [a, b, c] = [referencing(), referencing(), referencing()];
      withBatchedWrites(h.state, () => {
        expect(h.event("ADDED", a).outcome).toBe("applied");
        // A read in the middle of the batch sees the pod admitted before it...
        expect(h.state.pods.get(a.metadata.uid)?.name).toBe(a.metadata.name);
        // ...and admissions after that read are held back again, then seen too.
        expect(h.event("ADDED", b).outcome).toBe("applied");
        expect(h.event("ADDED", c).outcome).toBe("applied");
        expect(h.event("ADDED", b).outcome).toBe("unchanged");
        expect(h.state.pods.refs.anyRunnableReferencing("Secret", "default", "db")).toBe(true);
      });
      expect(h.state.pods.count()).toBe(3);
      expect(h.state.pods.refs.runnableReferencing("Secret", "default", "db").map((r) => r.uid).sort()).toEqual([a, b, c].map((p) => p.metadata.uid).sort());
      expect(h.state.pods.refs.claimsInUse()).toEqual([{ namespace: "default", name: "data", users: [a, b, c].map((p) => p.metadata.uid) }]);
      expect(h.pod(c.metadata.uid)?.status?.phase).toBe("Pending");
    }));

  it("are dropped with a batch that throws, never written by a later statement", () =>
    withCluster(async (h) => {
      // (Anything a batch wrote before it threw is rolled back by the caller's transaction; here only what it held back is at stake.)
      const a = referencing();
      expect(() =>
        withBatchedWrites(h.state, () => {
          h.event("ADDED", a);
          throw new Error("refused midway");
        }),
      ).toThrow("refused midway");
      expect(h.state.pods.count()).toBe(0);
      expect(h.state.pods.refs.claimsInUse()).toEqual([]);
      expect(h.event("ADDED", a).outcome).toBe("applied");
      expect(h.state.pods.count()).toBe(1);
    }));
});

describe("adopting many machines in one pass", () => {
  it("binds each pod to its machine and publishes Running once, creating and updating nothing", () =>
    withCluster(async (h) => {
      // More than one adoption batch (500).
      const pods = Array.from({ length: 520 }, () => pod());
      withBatchedWrites(h.state, () => pods.forEach((p) => h.event("ADDED", p)));
      const machineOf = new Map<string, string>();
      for (const p of pods) {
        const rec = h.pod(p.metadata.uid)!;
        const m = await h.fly.createMachine("app", { name: rec.machineName, region: rec.region ?? undefined, config: rec.config! });
        machineOf.set(p.metadata.uid, m.id);
      }
      h.fly.settleAll();
      h.fly.calls.length = 0;
      const before = h.state.feed.lastSeq();

      const counts = await h.pass();

      expect(counts.updated).toBe(pods.length);
      expect(h.fly.ops.filter((op) => op !== "list")).toEqual([]);
      for (const p of pods) {
        const rec = h.pod(p.metadata.uid)!;
        expect(rec).toMatchObject({ machineId: machineOf.get(p.metadata.uid), machineState: "started", appliedHash: rec.configHash, phase: "Running", problem: null });
        expect(rec.lastMachine?.id).toBe(machineOf.get(p.metadata.uid));
        // The row keeps the machine without its config: the pod's own config is what it runs (applied_hash).
        expect(rec.lastMachine).not.toHaveProperty("config");
      }
      const published: Array<{ uid: string; phase: unknown }> = [];
      for (let after = before, page; (page = await h.state.feed.read(after, 0, () => [])).pods.length > 0; after = Number(page.cursor)) {
        published.push(...page.pods.map((e) => ({ uid: e.uid, phase: e.status?.phase })));
      }
      expect(published).toHaveLength(pods.length);
      expect(new Set(published.map((e) => e.uid)).size).toBe(pods.length);
      expect(published.every((e) => e.phase === "Running")).toBe(true);
    }));
});
