/**
 * Exits seen in seconds: a machine that exits shows in its pod's status within an exit-watch
 * interval (2 s), not at the next full reconcile pass (RECONCILE_INTERVAL_S, 20 s here, once no
 * work is pending).
 */
import { describe, expect, it } from "vitest";
import { allMachines, emulatorUrl, eventually, getPod, newCluster, pod, podPhase, postEvents } from "./helpers";

describe("exit watch", () => {
  it("a Never pod's exit turns it Failed with the exit code well before the next full pass", { timeout: 30_000 }, async () => {
    const { cluster, app } = newCluster("exit");
    const p = pod({ spec: { restartPolicy: "Never" } });
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    // Past the passes that run while work is pending (every 5 s): the next full pass is 20 s away.
    await new Promise((r) => setTimeout(r, 6_000));
    const [m] = await allMachines(app);
    const res = await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines/${m!.id}/exit`, { method: "POST", body: JSON.stringify({ exitCode: 3 }), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    const failed = await eventually("Failed", async () => ((await getPod(cluster, p.metadata.uid))?.status.phase === "Failed" ? getPod(cluster, p.metadata.uid) : undefined), 4_000);
    expect(failed!.status.containerStatuses?.[0]).toMatchObject({ state: { terminated: { exitCode: 3, reason: "Error" } } });
  });
});
