/**
 * The worker under test: `wrangler dev` (workerd) on a free loopback port, with its Durable
 * Object storage in a temporary directory that `stop()` removes.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/dev/free-port";
import { startWorkerProcess } from "../../src/dev/worker-process";

export interface BenchWorker {
  url: string;
  stop(): Promise<void>;
}

/**
 * `inspectorPort`: DevTools on 127.0.0.1 at that port (BENCH_INSPECTOR_PORT; scripts/cpu-profile.ts profiles through it).
 * `logFile`: the worker's output (its logs and wrangler's) appended there (BENCH_WORKER_LOG); default: discarded.
 */
export async function startBenchWorker(vars: Record<string, string>, inspectorPort?: number, logFile?: string): Promise<BenchWorker> {
  const dir = await mkdtemp(join(tmpdir(), "machinelet-bench-"));
  const log = logFile ? createWriteStream(logFile, { flags: "a" }) : undefined;
  try {
    const onLine = log ? (line: string) => log.write(`${line}\n`) : undefined;
    const proc = await startWorkerProcess({ port: await freePort(), persistTo: dir, vars, startTimeoutMs: 120_000, inspectorPort, onLine });
    void proc.exited.then((code) => {
      console.error(`worker (wrangler dev) exited on its own with ${code}`);
    });
    return {
      url: proc.url,
      stop: async () => {
        try {
          await proc.stop();
        } finally {
          log?.end();
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    log?.end();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The fields of a `/proc/.../stat` line after "pid (comm)": comm may hold spaces and parentheses, so split at the last ')'. */
const statFields = (raw: string): string[] => raw.slice(raw.lastIndexOf(")") + 2).split(" ");

interface WorkerdProcess {
  pid: number;
  /** The fields after "pid (comm)" of /proc/<pid>/stat: index 0 is the state, 11 utime, 12 stime. */
  stat: string[];
}

/**
 * The workerd processes among this process's descendants (wrangler dev runs two: a small proxy
 * in front and the runtime that holds the Durable Objects); undefined where /proc is not readable.
 */
async function workerdProcesses(): Promise<WorkerdProcess[] | undefined> {
  let entries: string[];
  try {
    entries = (await readdir("/proc")).filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const parent = new Map<number, number>();
  const procs = new Map<number, { comm: string; stat: string[] }>();
  for (const pid of entries) {
    try {
      const raw = await readFile(`/proc/${pid}/stat`, "utf8");
      const stat = statFields(raw);
      procs.set(Number(pid), { comm: raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")")), stat });
      parent.set(Number(pid), Number(stat[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...procs].filter(([pid, p]) => p.comm === "workerd" && descends(pid)).map(([pid, p]) => ({ pid, stat: p.stat }));
}

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

const ticksMs = (ticks: string | undefined) => (Number(ticks) * 1000) / USER_HZ;

/** The main thread's user + system CPU time (ms) of process `pid` (its task whose id is the pid): where workerd runs JavaScript and SQLite. */
async function mainThreadMs(pid: number): Promise<number> {
  const stat = statFields(await readFile(`/proc/${pid}/task/${pid}/stat`, "utf8").catch(() => ""));
  return ticksMs(stat[11]) + ticksMs(stat[12]);
}

/**
 * CPU time (ms) each workerd process has used so far, by pid: user + system, of it system (the
 * kernel's, on its behalf), and of it the main thread's (the rest: V8's background threads,
 * which compile hot code and help the garbage collector).
 */
export async function workerdCpuMs(): Promise<Map<number, { total: number; system: number; main: number }> | undefined> {
  const procs = await workerdProcesses();
  if (!procs?.length) return undefined;
  return new Map(await Promise.all(procs.map(async (p) => [p.pid, { total: ticksMs(p.stat[11]) + ticksMs(p.stat[12]), system: ticksMs(p.stat[12]), main: await mainThreadMs(p.pid) }] as const)));
}

/**
 * Starts a CPU clock over the benchmark's workerd processes; the returned function gives the CPU
 * time (ms, user + system, 10 ms resolution) they used since: in total, of the one process that
 * used the most (the runtime, as opposed to wrangler's proxy) and of that its main thread's, and of
 * the total the system (kernel) time: page faults, zeroing fresh pages, file writes. Undefined without /proc.
 */
export async function workerdCpuClock(): Promise<() => Promise<{ totalMs: number; runtimeMs: number; runtimeMainMs: number; systemMs: number } | undefined>> {
  const before = await workerdCpuMs();
  return async () => {
    const after = await workerdCpuMs();
    if (!before || !after) return undefined;
    const used = [...after].map(([pid, t]) => ({ total: t.total - (before.get(pid)?.total ?? 0), system: t.system - (before.get(pid)?.system ?? 0), main: t.main - (before.get(pid)?.main ?? 0) }));
    const runtime = used.reduce((a, u) => (u.total > a.total ? u : a));
    return { totalMs: used.reduce((a, u) => a + u.total, 0), runtimeMs: runtime.total, runtimeMainMs: runtime.main, systemMs: used.reduce((a, u) => a + u.system, 0) };
  };
}

/**
 * Resident memory (MiB) of the largest workerd process among this process's descendants (the
 * runtime, not wrangler's proxy): now (VmRSS) and its peak since it started (VmHWM). Undefined
 * where /proc is not available or none is found.
 */
export async function workerdMemoryMb(): Promise<{ rss: number; peak: number } | undefined> {
  let found: { rss: number; peak: number } | undefined;
  for (const { pid } of (await workerdProcesses()) ?? []) {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    const peak = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (rss && peak && Number(rss[1]) / 1024 > (found?.rss ?? 0)) found = { rss: Number(rss[1]) / 1024, peak: Number(peak[1]) / 1024 };
  }
  return found;
}
