// Profiles the worker (workerd via wrangler dev --inspector-port) during a 10k-pod snapshot adoption.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { ClusterClient } from "../bench/lib/cluster";
import { startBenchEmulator } from "../bench/lib/emulator";
import { freePort } from "../bench/lib/worker";
import { benchPods } from "../bench/lib/pods";
import { parseK8sObject } from "../src/shared/k8s";
import { translatePod } from "../src/worker/cluster/pod-translation";
import { MachinesClient } from "../src/machines/client";
import { pool } from "../bench/lib/wait";
import WS from "ws";
const N = Number(process.env.N ?? 10000);
const emulator = await startBenchEmulator({ token: "t", org: "personal" });
await emulator.configure({ latencyMs: 0, bootMs: 0, rateLimits: false });
const port = await freePort(), iport = await freePort();
const vars = { MACHINES_API_URL: emulator.url, FLY_API_URL: emulator.url, FLY_API_TOKEN: "t", RELAY_SECRET: "s", FLY_ORG: "personal", RECONCILE_INTERVAL_S: "3600" };
const args = ["node_modules/wrangler/bin/wrangler.js", "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(iport), "--persist-to", mkdtempSync("/tmp/prof-"), "--show-interactive-dev-session=false"];
for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] }); const outLines: string[] = []; (await import("node:readline")).createInterface({ input: child.stdout! }).on("line", (l) => outLines.push(l));
const url = `http://127.0.0.1:${port}`;
for (;;) { try { if ((await fetch(url + "/healthz")).ok) break; } catch {} await new Promise((r) => setTimeout(r, 300)); }
try {
  const c = new ClusterClient(url, "prof", "s");
  const pods = benchPods(N);
  if (!process.env.NOSEED) {
    const fly = new MachinesClient({ baseUrl: emulator.url, token: "t" });
    await fly.createApp(c.app, "personal");
    await pool(pods.length, 16, async (i) => {
      const p = parseK8sObject("Pod", pods[i]); if (!p.ok) throw new Error(p.message);
      const t = translatePod(p.object, { cluster: c.name } as never);
      await fly.createMachine(c.app, { name: t.machineName, region: t.region ?? undefined, config: t.config! });
    });
  }
  const targets = (await (await fetch(`http://127.0.0.1:${iport}/json`)).json()) as Array<{ webSocketDebuggerUrl: string; title: string }>;
  console.log(targets.map((t) => t.title));
  const ws = new WS(targets[0]!.webSocketDebuggerUrl, { headers: { origin: "https://devtools.devprod.cloudflare.dev" } }) as any;
  console.log("ws", targets); ws.on("unexpected-response", (_q: any, r: any) => console.log("unexpected", r.statusCode)); ws.addEventListener("error", (e: any) => console.log("ws error", e.message)); ws.addEventListener("close", (e: any) => console.log("ws close", e.code, e.reason)); await new Promise((r) => ws.addEventListener("open", r)); console.log("open");
  let id = 0; const waiting = new Map<number, (v: unknown) => void>();
  ws.addEventListener("message", (e: any) => { const m = JSON.parse(String(e.data)); if (process.env.DBG) console.log("msg", String(e.data).slice(0, 200)); if (m.id && waiting.has(m.id)) { waiting.get(m.id)!(m.result); waiting.delete(m.id); } });
  const send = (method: string, params = {}) => new Promise<any>((r) => { const i = ++id; waiting.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  console.log("enable", await send("Profiler.enable")); console.log(await send("Profiler.setSamplingInterval", { interval: 1000 })); console.log(await send("Profiler.start"));
  const t0 = performance.now();
  const counts = await c.reconcile({ pods, services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] } as never);
  console.log("snapshot reconcile", Math.round(performance.now() - t0), "ms", JSON.stringify(counts));
  await new Promise((r) => setTimeout(r, Number(process.env.AFTER ?? 0)));
  const { profile } = await send("Profiler.stop");
  writeFileSync("/tmp/worker.cpuprofile", JSON.stringify(profile)); writeFileSync("/tmp/worker-out.log", outLines.join("\n"));
  // self time by function
  const self = new Map<string, number>(); const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
  const dt = profile.timeDeltas as number[]; const samples = profile.samples as number[];
  for (let i = 0; i < samples.length; i++) { const n = byId.get(samples[i]!); const k = `${n.callFrame.functionName || "(anon)"} ${String(n.callFrame.url).split("/").slice(-2).join("/")}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000); }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log("total sampled ms", Math.round(total));
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(v.toFixed(0).padStart(6), k);
  ws.close();
} finally { const { cpSync } = await import("node:fs"); try { cpSync(".wrangler/tmp", "/tmp/bundle", { recursive: true }); } catch {} child.kill("SIGTERM"); await emulator.close(); }
