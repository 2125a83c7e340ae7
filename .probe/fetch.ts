import { startBenchEmulator } from "../bench/lib/emulator";
import { startBenchWorker } from "../bench/lib/worker";
const emulator = await startBenchEmulator({ token: "t", org: "personal" });
const worker = await startBenchWorker({ MACHINES_API_URL: emulator.url, FLY_API_URL: emulator.url, FLY_API_TOKEN: "t", RELAY_SECRET: "s", FLY_ORG: "personal", RECONCILE_INTERVAL_S: "3600" });
try {
  for (let i = 0; i < 15; i++) {
    const stop = emulator.record();
    const t0 = Date.now();
    const { a, b } = (await (await fetch(worker.url + "/probe-fetch")).json()) as { a: number; b: number };
    const t1 = Date.now();
    const [x] = stop();
    const es = performance.timeOrigin + x!.start - t0, ee = performance.timeOrigin + x!.end - t0;
    console.log(`worker-in ${a - t0}  emu ${es.toFixed(1)}..${ee.toFixed(1)}  worker-back ${b - t0}  client ${t1 - t0}`);
    await new Promise((r) => setTimeout(r, i % 2 ? 50 : 6000));
  }
} finally { await worker.stop(); await emulator.close(); }
