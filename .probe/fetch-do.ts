import { startBenchEmulator } from "../bench/lib/emulator";
import { startBenchWorker } from "../bench/lib/worker";
const emulator = await startBenchEmulator({ token: "t", org: "personal" });
const worker = await startBenchWorker({ MACHINES_API_URL: emulator.url, FLY_API_URL: emulator.url, FLY_API_TOKEN: "t", RELAY_SECRET: "s", FLY_ORG: "personal", RECONCILE_INTERVAL_S: "3600" });
try {
  const res: Record<string, number[]> = {};
  for (let i = 0; i < 60; i++) {
    const mode = ["none", "log", "log5", "sql"][i % 4]!;
    const stop = emulator.record();
    const t0 = Date.now();
    const { a } = (await (await fetch(worker.url + "/probe-do?mode=" + mode)).json()) as { a: number; b: number };
    const [x] = stop();
    const es = performance.timeOrigin + x!.start - t0;
    (res[mode] ??= []).push(es - (a - t0));
    await new Promise((r) => setTimeout(r, 30));
  }
  for (const [m, v] of Object.entries(res)) { v.sort((p, q) => p - q); console.log(m, "fetch->emu min", v[0]!.toFixed(1), "p50", v[Math.floor(v.length / 2)]!.toFixed(1)); }
} finally { await worker.stop(); await emulator.close(); }
