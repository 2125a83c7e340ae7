/**
 * `npm run bench`: machinelet's benchmark suite, against the Machines emulator and the worker in
 * workerd, both started here on loopback and stopped here (also on failure and Ctrl-C).
 * Writes bench/results.json (metric -> number; metrics of scenarios not run are kept) and prints
 * a table. bench/README.md says what each metric measures and how.
 *
 *   BENCH_ONLY=intake-noop,burst   run only these scenarios
 *   BENCH_BURST_PODS=1000          pods in the burst scenario
 *   BENCH_INSPECTOR_PORT=9230      the worker's DevTools port
 *   BENCH_PROFILE_DIR=/tmp/prof    with it: CPU profiles of the worker where scenarios ask (ctx.profile)
 *   BENCH_WORKER_LOG=/tmp/w.log    the worker's output (its logs, workerd's) appended to that file
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startCpuProfile, summarize } from "../bench/lib/cpu-profile";
import { MachinesClient } from "../src/machines/client";
import { ClusterClient } from "../bench/lib/cluster";
import { startBenchEmulator, type BenchEmulator } from "../bench/lib/emulator";
import { formatTable, mergeResults, readResults, writeResults, type Metric } from "../bench/lib/results";
import type { BenchContext, Scenario } from "../bench/lib/scenario";
import { startBenchWorker, type BenchWorker } from "../bench/lib/worker";
import { burst } from "../bench/scenarios/burst";
import { exitToStatus } from "../bench/scenarios/exit-to-status";
import { intakeCreate } from "../bench/scenarios/intake-create";
import { intakeNoop } from "../bench/scenarios/intake-noop";
import { lifecycle } from "../bench/scenarios/lifecycle";
import { podIo } from "../bench/scenarios/pod-io";
import { appLifecycle } from "../bench/scenarios/app-lifecycle";
import { podRunning } from "../bench/scenarios/pod-running";
import { reconcile10k } from "../bench/scenarios/reconcile-10k";
import { secretRotation } from "../bench/scenarios/secret-rotation";
import { services } from "../bench/scenarios/services";
import { warm } from "../bench/scenarios/warm";

/** In the order they run: the long burst last. */
const SCENARIOS: Scenario[] = [intakeNoop, intakeCreate, podRunning, lifecycle, appLifecycle, secretRotation, reconcile10k, exitToStatus, services, burst, podIo, warm];
const RESULTS = join(import.meta.dirname, "..", "bench", "results.json");
const TOKEN = "bench-token";
const RELAY_SECRET = "bench-relay-secret";
const ORG = "personal";

function selected(): Scenario[] {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
  if (!only?.length) return SCENARIOS;
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  return SCENARIOS.filter((s) => only.includes(s.name));
}

function burstPods(): number {
  const raw = process.env.BENCH_BURST_PODS ?? "1000";
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_BURST_PODS must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function inspectorPort(): number | undefined {
  const raw = process.env.BENCH_INSPECTOR_PORT;
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`BENCH_INSPECTOR_PORT must be a port number, got ${JSON.stringify(raw)}`);
  return n;
}

/** ctx.profile: a CPU profile of the worker around `fn` when BENCH_PROFILE_DIR and BENCH_INSPECTOR_PORT are set. */
function profiler(): BenchContext["profile"] {
  const dir = process.env.BENCH_PROFILE_DIR;
  const port = inspectorPort();
  if (!dir) return (_label, fn) => fn();
  if (port === undefined) throw new Error("BENCH_PROFILE_DIR needs BENCH_INSPECTOR_PORT");
  mkdirSync(dir, { recursive: true });
  return async (label, fn) => {
    const session = await startCpuProfile(port);
    try {
      return await fn();
    } finally {
      const profile = await session.stop();
      writeFileSync(join(dir, `${label}.cpuprofile`), JSON.stringify(profile));
      writeFileSync(join(dir, `${label}.txt`), `${summarize(profile, 40)}\n`);
      log(`profile ${label}: ${join(dir, `${label}.cpuprofile`)}`);
    }
  };
}

const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

const closers: Array<() => Promise<void>> = [];
async function cleanUp(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close().catch((e: unknown) => console.error(`cleanup: ${e instanceof Error ? e.message : e}`));
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const scenarios = selected();
  const ctxBase = { burstPods: burstPods(), log };
  const emulator: BenchEmulator = await startBenchEmulator({ token: TOKEN, org: ORG });
  closers.push(() => emulator.close());
  log(`machines emulator on ${emulator.url}`);
  const worker: BenchWorker = await startBenchWorker({
    MACHINES_API_URL: emulator.url,
    FLY_API_URL: emulator.url,
    FLY_API_TOKEN: TOKEN,
    RELAY_SECRET,
    FLY_ORG: ORG,
    // No periodic pass during a measurement; the scenarios reconcile explicitly.
    RECONCILE_INTERVAL_S: "3600",
  }, inspectorPort(), process.env.BENCH_WORKER_LOG || undefined);
  closers.push(() => worker.stop());
  log(`worker on ${worker.url}`);

  let seq = 0;
  const ctx: BenchContext = {
    ...ctxBase,
    emulator,
    fly: new MachinesClient({ baseUrl: emulator.url, token: TOKEN }),
    newCluster: (prefix) => new ClusterClient(worker.url, `${prefix}-${(seq++).toString(36)}`, RELAY_SECRET),
    worker: { url: worker.url, relaySecret: RELAY_SECRET },
    profile: profiler(),
  };

  const fresh: Metric[] = [];
  for (const scenario of scenarios) {
    log(`scenario ${scenario.name}`);
    const t0 = performance.now();
    const metrics = await scenario.run(ctx);
    log(`scenario ${scenario.name} done in ${Math.round((performance.now() - t0) / 1000)} s`);
    console.log(formatTable(metrics));
    fresh.push(...metrics);
  }

  const merged = mergeResults(readResults(RESULTS), (key) => scenarios.some((s) => s.owns(key)), fresh);
  writeResults(RESULTS, merged);
  console.log(`\n${formatTable(fresh)}\n`);
  const kept = Object.keys(merged).length - fresh.length;
  log(`wrote ${RESULTS} (${fresh.length} metrics measured now${kept ? `, ${kept} kept from earlier runs` : ""})`);
}

main()
  .catch((e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
