import { unstable_startWorker } from "wrangler";
import { mkdtempSync } from "node:fs";
import { startBenchEmulator } from "../bench/lib/emulator";
import { freePort } from "../bench/lib/worker";
const emulator = await startBenchEmulator({ token: "t", org: "personal" });
const vars = { MACHINES_API_URL: emulator.url, FLY_API_URL: emulator.url, FLY_API_TOKEN: "t", RELAY_SECRET: "s", FLY_ORG: "personal", RECONCILE_INTERVAL_S: "3600" };
const port = await freePort();
const w = await unstable_startWorker({
  config: "wrangler.toml",
  bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "plain_text", value: v }])),
  dev: { inspector: process.env.INSPECT ? undefined : false, server: { hostname: "127.0.0.1", port }, persist: mkdtempSync("/tmp/probe-"), watch: false, liveReload: false },
} as never);
await w.ready;
const url = `http://127.0.0.1:${port}`;
try {
  const res: Record<string, number[]> = {};
  for (let i = 0; i < 60; i++) {
    const mode = ["none", "log", "log5", "sql"][i % 4]!;
    const stop = emulator.record();
    const t0 = Date.now();
    const { a } = (await (await fetch(url + "/probe-do?mode=" + mode)).json()) as { a: number; b: number };
    const [x] = stop();
    const es = performance.timeOrigin + x!.start - t0;
    (res[mode] ??= []).push(es - (a - t0));
    await new Promise((r) => setTimeout(r, 30));
  }
  for (const [m, v] of Object.entries(res)) { v.sort((p, q) => p - q); console.log(m, "fetch->emu min", v[0]!.toFixed(1), "p50", v[Math.floor(v.length / 2)]!.toFixed(1)); }
} finally { await w.dispose(); await emulator.close(); }
