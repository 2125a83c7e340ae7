/**
 * Runs the worker in workerd through `wrangler dev`, for staging, end-to-end tests and benchmarks.
 * Vars are passed on the command line so nothing is read from or written to .dev.vars.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface WorkerProcessOptions {
  port: number;
  vars: Record<string, string>;
  persistTo: string;
  /** Where wrangler's own output goes; default: discarded. */
  stdio?: "inherit" | "ignore";
  /** Receives every output line (the worker's logs and wrangler's) instead; overrides `stdio`. */
  onLine?: (line: string) => void;
  startTimeoutMs?: number;
  /** Port for DevTools (CDP) on 127.0.0.1, e.g. to take CPU profiles of the worker; default: wrangler's own choice. */
  inspectorPort?: number;
}

export interface WorkerProcess {
  url: string;
  stop(): Promise<void>;
  /** Resolves when the process exits on its own (not through stop()). */
  exited: Promise<number | null>;
}

/** Where the project's wrangler is installed, and its command line entry. */
export const wranglerDir = dirname(createRequire(import.meta.url).resolve("wrangler/package.json"));
export const wranglerBin = join(wranglerDir, "bin", "wrangler.js");

export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  const args = [wranglerBin, "dev", "--ip", "127.0.0.1", "--port", String(opts.port), "--persist-to", opts.persistTo, "--show-interactive-dev-session=false"];
  if (opts.inspectorPort !== undefined) args.push("--inspector-ip", "127.0.0.1", "--inspector-port", String(opts.inspectorPort));
  for (const [k, v] of Object.entries(opts.vars)) args.push("--var", `${k}:${v}`);
  const out = opts.onLine ? "pipe" : (opts.stdio ?? "ignore");
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", out, out],
    // No request for Cloudflare's `Request.cf` sample: offline it only prints a stack trace before
    // miniflare falls back to its placeholder, which is what the worker gets either way. No local
    // trace store (wrangler 4's default): it traces every request, alarm and call of the worker into
    // a SQLite of its own in the same workerd process, CPU and disk writes the Workers runtime does not spend.
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", X_LOCAL_OBSERVABILITY: "false" },
    detached: false,
  });
  for (const stream of [child.stdout, child.stderr]) if (stream && opts.onLine) createInterface({ input: stream }).on("line", opts.onLine);
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`worker did not answer ${url}/healthz in time`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop, exited: exited.then((code) => (stopping ? new Promise<never>(() => {}) : code)) };
}
