/**
 * The worker under test: `wrangler dev` (workerd) on a free loopback port, with its Durable
 * Object storage in a temporary directory that `stop()` removes.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/dev/free-port";
import { startWorkerProcess } from "../../src/dev/worker-process";

export interface BenchWorker {
  url: string;
  stop(): Promise<void>;
}

export async function startBenchWorker(vars: Record<string, string>): Promise<BenchWorker> {
  const dir = await mkdtemp(join(tmpdir(), "machinelet-bench-"));
  try {
    const proc = await startWorkerProcess({ port: await freePort(), persistTo: dir, vars, startTimeoutMs: 120_000 });
    void proc.exited.then((code) => {
      console.error(`worker (wrangler dev) exited on its own with ${code}`);
    });
    return {
      url: proc.url,
      stop: async () => {
        try {
          await proc.stop();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Resident memory (MiB) of the largest workerd process among this process's descendants:
 * wrangler dev runs two, a small proxy in front and the runtime that holds the Durable
 * Objects. Undefined where /proc is not available or none is found.
 */
export async function workerdRssMb(): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = (await readdir("/proc")).filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const pid of entries) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
      const close = stat.lastIndexOf(")");
      name.set(Number(pid), stat.slice(stat.indexOf("(") + 1, close));
      parent.set(Number(pid), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  let kb: number | undefined;
  for (const [pid, comm] of name) {
    if (comm !== "workerd" || !descends(pid)) continue;
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (m) kb = Math.max(kb ?? 0, Number(m[1]));
  }
  return kb === undefined ? undefined : kb / 1024;
}
