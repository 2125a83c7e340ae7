import { MachinesClient } from "../src/machines/client";
import { ClusterClient } from "../bench/lib/cluster";
import { startBenchEmulator } from "../bench/lib/emulator";
import { freePort } from "../bench/lib/worker";
import { startWorkerProcess } from "../src/dev/worker-process";
import { mkdtempSync } from "node:fs";
let lines: string[] = [];
import { added, benchPod } from "../bench/lib/pods";
import { retire } from "../bench/lib/retire";
import { poll } from "../bench/lib/wait";
const N = Number(process.env.N ?? 20);
const emulator = await startBenchEmulator({ token: "t", org: "personal" });
const worker = await startWorkerProcess({ port: await freePort(), persistTo: mkdtempSync("/tmp/probe-"), startTimeoutMs: 120000, onLine: (l) => { if (l.includes("PROBE")) lines.push(l.replace(/.*PROBE /, "") + " n=" + Date.now()); }, vars: { MACHINES_API_URL: emulator.url, FLY_API_URL: emulator.url, FLY_API_TOKEN: "t", RELAY_SECRET: "s", FLY_ORG: "personal", RECONCILE_INTERVAL_S: "3600" } });
try {
  const rows: number[][] = [];
  for (let i = 0; i < N; i++) {
    const c = new ClusterClient(worker.url, `probe-${i}`, "s");
    await c.prewarm();
    await emulator.configure({ latencyMs: Number(process.env.LAT ?? 100), bootMs: 0, rateLimits: true });
    const pod = benchPod("p");
    const stop = emulator.record();
    lines = []; const w0 = Date.now(); console.log("t0", w0);
    const t0 = performance.now();
    await c.postEvents([added(pod)]);
    const tAck = performance.now();
    await poll("run", async () => ((await c.pod(pod.metadata.uid))?.status?.phase === "Running" ? true : undefined), { everyMs: Number(process.env.POLL ?? 10), timeoutMs: 30000 });
    const t1 = performance.now();
    const calls = stop().filter((x) => x.path.includes(c.app));
    const r = [tAck - t0];
    let prev = t0;
    for (const x of calls) { r.push(x.start - prev, x.end - x.start); prev = x.end; }
    r.push(t1 - prev, t1 - t0);
    rows.push(r);
    console.log(calls.map((x) => x.method + " " + x.path.split("/").slice(-1)[0]).join(", "), r.map((v) => v.toFixed(1)).join("  "));
    if (process.env.SHOW2) console.log(calls.map((x) => `emu ${x.path.split("/").slice(-1)[0]} ${(performance.timeOrigin + x.start - w0).toFixed(1)}..${(performance.timeOrigin + x.end - w0).toFixed(1)}`).join("\n"));
    if (process.env.SHOW2) console.log(lines.map((l) => { const [k, t, n] = l.split(" "); return `${k} ${Number(t) - w0} (${Number(n!.slice(2)) - w0})`; }).join("\n"));
    await emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
    await retire(c, [pod]);
  }
  const med = (k: number) => { const v = rows.map((r) => r[k]!).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]!.toFixed(1); };
  console.log("median: ack", med(0), "gaps/calls", rows[0]!.slice(1).map((_, k) => med(k + 1)).join("  "));
} finally { await worker.stop(); await emulator.close(); }
