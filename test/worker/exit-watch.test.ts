/**
 * Exits seen in seconds: a machine that exits shows in its pod's status within an exit-watch
 * interval (2 s), not at the next full reconcile pass (RECONCILE_INTERVAL_S, 20 s here, once no
 * work is pending).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseScrape, sampleValue } from "../support/prometheus";
import { allMachines, emulatorUrl, eventually, getPod, newCluster, pod, podPhase, postEvents } from "./helpers";

const alarmsOf = async (cluster: string) => {
  const res = await exports.default.fetch(`http://worker/metrics?cluster=${cluster}`, { headers: { authorization: "Bearer test-status-token" } });
  expect(res.status).toBe(200);
  return sampleValue(parseScrape(await res.text()), "machinelet_alarms_total", { cluster }) ?? 0;
};

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

  it("while a pod runs, the watch wakes the object about once a look, never in a loop", { timeout: 30_000 }, async () => {
    const { cluster } = newCluster("exit");
    const p = pod();
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    // The watch looks every 2 s (and one pass runs 5 s after the work). Its loop used to sleep while
    // the alarm, armed for the same look, found it running and fired again at once: hundreds a second.
    const before = await alarmsOf(cluster);
    await new Promise((r) => setTimeout(r, 6_000));
    expect((await alarmsOf(cluster)) - before).toBeLessThanOrEqual(12);
  });
});
