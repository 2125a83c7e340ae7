/**
 * A started machine's Running reaches the status feed's readers before it is written: the record
 * waits a turn, so no write holds the readers' answer (the output gate). The entry is delivered
 * again once written; shown alone it does not outlive the turn.
 */
import { describe, expect, it } from "vitest";
import type { FeedPage } from "../../src/shared/contract";
import { nextTurn } from "../../src/worker/cluster/converge-step";
import type { PodRecord } from "../../src/worker/cluster/state";
import { pod } from "./helpers";
import { withCluster } from "./support/cluster-harness";

describe("status shown before its write", () => {
  it("a waiting reader gets the pod Running while its row still holds the machine as created, then again, written, with a new cursor", () =>
    withCluster(async (h) => {
      const p = pod();
      const uid = p.metadata.uid;
      expect(h.event("ADDED", p).outcome).toBe("applied");
      // Follows the feed as the relay does, until a page shows Running (the create's status comes first).
      const follow = async (after: number): Promise<{ after: number; page: FeedPage; row: PodRecord | undefined }> => {
        const page = await h.state.feed.read(after, 5_000, () => []);
        if (page.pods.some((e) => e.status?.phase === "Running")) return { after, page, row: h.state.pods.get(uid) };
        return follow(Number(page.cursor));
      };
      const reading = follow(h.state.feed.lastSeq());
      const stepping = h.step(uid); // create, then the wait answers started
      const { after: cursor, page, row } = await reading;
      expect(page.cursor).toBe(String(cursor));
      expect(page.pods.map((e) => [e.uid, e.status?.phase])).toEqual([[uid, "Running"]]);
      expect(row?.machineState).toBe("created");
      expect(await stepping).toMatchObject({ next: "done" });
      expect(h.state.pods.get(uid)?.machineState).toBe("started");
      const written = await h.state.feed.read(cursor, 0, () => []);
      expect(Number(written.cursor)).toBeGreaterThan(cursor);
      expect(written.pods.map((e) => [e.uid, e.status?.phase, e.gone])).toEqual([[uid, "Running", false]]);
      expect(written.pods[0]!.status).toEqual(page.pods[0]!.status);
    }));

  it("an entry shown early and never written is gone a turn later: readers wait again", () =>
    withCluster(async (h) => {
      const p = pod();
      h.event("ADDED", p);
      const cursor = h.state.feed.lastSeq();
      h.state.feed.showEarly({ uid: p.metadata.uid, namespace: "default", name: p.metadata.name, statusJson: JSON.stringify({ phase: "Running" }), gone: false });
      expect((await h.state.feed.read(cursor, 0, () => [])).pods).toHaveLength(1);
      await nextTurn();
      expect(await h.state.feed.read(cursor, 0, () => [])).toEqual({ cursor: String(cursor), pods: [] });
    }));
});
