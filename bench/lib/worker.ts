/**
 * The worker under test: the bundle `wrangler deploy` would upload (`wrangler deploy --dry-run`),
 * run by Miniflare in workerd on a free loopback port, with its Durable Object storage in a
 * temporary directory that `stop()` removes.
 *
 * Not `wrangler dev` (staging's and the end-to-end tests' way): it puts a second workerd process,
 * a proxy worker, in front of the runtime, and wraps the bundle in middleware of its own. Both run
 * on every request, and the proxy's garbage collections made most of the create latency's tail
 * (bench/README, `intake-create`). Cloudflare runs neither in front of a deployed Worker.
 * Miniflare and workerd are the ones wrangler itself runs (its pinned versions), and the worker's
 * settings (compatibility date and flags, the Durable Object and its SQLite) come from
 * wrangler.toml through wrangler's own reader.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { freePort } from "../../src/dev/free-port";
import { wranglerBin, wranglerDir } from "../../src/dev/worker-process";

export interface BenchWorker {
  url: string;
  stop(): Promise<void>;
}

/**
 * What is used of wrangler's own Miniflare (not the one the test pool pins, whose option format
 * differs): typed here, since TypeScript cannot reach a package nested in another's node_modules.
 */
interface WranglersMiniflare {
  Miniflare: new (options: unknown) => { ready: Promise<URL>; dispose(): Promise<void> };
  /** Miniflare's flat options (one object per worker, as wrangler builds them) into its constructor's. */
  convertV4MiniflareOptions(options: Record<string, unknown>): unknown;
}

/** Builds the deploy bundle into `outdir` (nothing is deployed) and returns its entry module's path. */
async function buildDeployBundle(outdir: string): Promise<string> {
  const child = spawn(process.execPath, [wranglerBin, "deploy", "--dry-run", "--outdir", outdir], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`wrangler deploy --dry-run exited with ${code}: ${stderr.trim()}`);
  return join(outdir, "index.js");
}

/**
 * `inspectorPort`: DevTools on 127.0.0.1 at that port (BENCH_INSPECTOR_PORT; scripts/cpu-profile.ts profiles through it).
 * `logFile`: the worker's output (its logs and workerd's) appended there (BENCH_WORKER_LOG); default: discarded.
 */
export async function startBenchWorker(vars: Record<string, string>, inspectorPort?: number, logFile?: string): Promise<BenchWorker> {
  const dir = await mkdtemp(join(tmpdir(), "machinelet-bench-"));
  const log = logFile ? createWriteStream(logFile, { flags: "a" }) : undefined;
  const cleanUp = async () => {
    log?.end();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const scriptPath = await buildDeployBundle(join(dir, "bundle"));
    // Module rules are for unbundled sources; the bundle is one module.
    const { modulesRules: _, ...workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml").workerOptions;
    const { Miniflare, convertV4MiniflareOptions } = (await import(pathToFileURL(createRequire(join(wranglerDir, "package.json")).resolve("miniflare")).href)) as WranglersMiniflare;
    const mf = new Miniflare(convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: await freePort(),
      inspectorPort,
      // Cloudflare's `Request.cf` sample is fetched from the network unless told otherwise; offline, the placeholder.
      cf: false,
      resourcePersistencePath: join(dir, "state"),
      handleStructuredLogs: ({ message }: { message: string }) => log?.write(`${message}\n`),
      workers: [{ ...workerOptions, name: "machinelet", modules: true, modulesRoot: dirname(scriptPath), scriptPath, bindings: { ...(workerOptions.bindings as Record<string, unknown>), ...vars } }],
    }));
    const url = (await mf.ready).origin;
    return {
      url,
      stop: async () => {
        try {
          await mf.dispose();
        } finally {
          await cleanUp();
        }
      },
    };
  } catch (e) {
    await cleanUp();
    throw e;
  }
}

/** The fields of a `/proc/.../stat` line after "pid (comm)": comm may hold spaces and parentheses, so split at the last ')'. */
const statFields = (raw: string): string[] => raw.slice(raw.lastIndexOf(")") + 2).split(" ");

let foundPid: number | undefined;

/**
 * The workerd process Miniflare started (a child of this process), looked up in /proc once;
 * undefined where /proc is not readable.
 */
async function workerdPid(): Promise<number | undefined> {
  if (foundPid !== undefined) return foundPid;
  const entries = await readdir("/proc").catch(() => [] as string[]);
  for (const pid of entries.filter((e) => /^\d+$/.test(e))) {
    const raw = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""); // "" if it ended meanwhile
    if (raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")")) === "workerd" && Number(statFields(raw)[1]) === process.pid) return (foundPid = Number(pid));
  }
  return undefined;
}

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** User + system CPU time (ms) of a `/proc/.../stat` line's fields, and of it system. */
function cpuOf(stat: string[]): { total: number; system: number } {
  const ms = (ticks: string | undefined) => (Number(ticks) * 1000) / USER_HZ;
  return { total: ms(stat[11]) + ms(stat[12]), system: ms(stat[12]) };
}

/**
 * CPU time (ms) workerd has used so far: user + system, of it system (the kernel's, on its
 * behalf), and of it the main thread's (its task whose id is the pid: the worker's JavaScript,
 * SQLite and its commits; the rest is V8's background threads, which compile hot code and help the
 * garbage collector).
 */
async function workerdCpuMs(): Promise<{ total: number; system: number; main: number } | undefined> {
  const pid = await workerdPid();
  if (pid === undefined) return undefined;
  const proc = cpuOf(statFields(await readFile(`/proc/${pid}/stat`, "utf8")));
  return { ...proc, main: cpuOf(statFields(await readFile(`/proc/${pid}/task/${pid}/stat`, "utf8"))).total };
}

/**
 * Starts a CPU clock over workerd; the returned function gives the CPU time (ms, user + system,
 * 10 ms resolution) it used since, of it its main thread's and of it the system (kernel) time:
 * page faults, zeroing fresh pages, file writes. Undefined without /proc.
 */
export async function workerdCpuClock(): Promise<() => Promise<{ totalMs: number; mainMs: number; systemMs: number } | undefined>> {
  const before = await workerdCpuMs();
  return async () => {
    const after = await workerdCpuMs();
    if (!before || !after) return undefined;
    return { totalMs: after.total - before.total, mainMs: after.main - before.main, systemMs: after.system - before.system };
  };
}

/** workerd's resident memory (MiB): now (VmRSS) and its peak since it started (VmHWM). Undefined where /proc is not available. */
export async function workerdMemoryMb(): Promise<{ rss: number; peak: number } | undefined> {
  const pid = await workerdPid();
  const status = pid === undefined ? "" : await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const peak = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return rss && peak ? { rss: Number(rss[1]) / 1024, peak: Number(peak[1]) / 1024 } : undefined;
}
