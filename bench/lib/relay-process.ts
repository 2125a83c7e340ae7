/**
 * The relay under test in a process of its own: `src/relay/main.ts` with flags, as it is deployed,
 * so its event loop shares nothing with the benchmark's load generators, the stand-in or the
 * emulator (only the machine's cores). It is observed the way Prometheus would: through its own
 * `/metrics` (kubelet sessions, event-loop delay, CPU seconds).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseScrape, sampleValue } from "../../test/support/prometheus";

const MAIN = join(import.meta.dirname, "..", "..", "src", "relay", "main.ts");

export interface RelayProcessOptions {
  kubeconfigPath: string;
  kubeletClientCaFile: string;
  workerUrl: string;
  cluster: string;
  relaySecret: string;
  nodeName: string;
  /** Where `node --cpu-prof` writes the relay's CPU profile when it stops; no profile when unset. */
  cpuProfDir?: string;
}

/** What one scrape of the relay's `/metrics` says, at the moment of the scrape. */
export interface RelayScrape {
  kubeletSessions: number;
  /** Event-loop delay since the previous scrape (prom-client resets its histogram on every scrape). */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** User + system CPU of the relay process since it started. */
  cpuSeconds: number;
  /** POST /events to the worker since the relay started: how many, and their summed time. */
  eventPosts: number;
  eventPostSeconds: number;
}

export interface RelayProcess {
  scrape(): Promise<RelayScrape>;
  /** SIGTERM (the relay flushes and exits 0), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export async function startRelayProcess(opts: RelayProcessOptions): Promise<RelayProcess> {
  const args = [
    ...process.execArgv.filter((a) => !a.startsWith("--cpu-prof")),
    ...(opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    MAIN,
    `--kubeconfig=${opts.kubeconfigPath}`,
    `--worker-url=${opts.workerUrl}`,
    `--cluster=${opts.cluster}`,
    `--node-name=${opts.nodeName}`,
    "--node-address=127.0.0.1",
    "--kubelet-bind-address=127.0.0.1",
    "--kubelet-port=0",
    `--kubelet-client-ca=${opts.kubeletClientCaFile}`,
    "--metrics-host=127.0.0.1",
    "--metrics-port=0",
    "--feed-wait=5s",
    "--log-level=info",
  ];
  // process.execArgv carries tsx's loader, so the child runs the TypeScript source as the benchmark does.
  const child = spawn(process.execPath, args, { env: { ...process.env, RELAY_SECRET: opts.relaySecret }, stdio: ["ignore", "pipe", "inherit"] });
  // The benchmark may exit on a signal without running its scenario's cleanup: never leave the relay behind.
  const orphan = () => child.kill("SIGKILL");
  process.once("exit", orphan);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      process.off("exit", orphan);
      resolve(code);
    }),
  );
  try {
    const metricsUrl = await startedLine(child, exited);
    return {
      scrape: async () => {
        const res = await fetch(metricsUrl);
        if (!res.ok) throw new Error(`relay /metrics answered ${res.status}`);
        const families = parseScrape(await res.text());
        const value = (name: string) => {
          const v = sampleValue(families, name);
          if (v === undefined) throw new Error(`relay /metrics has no ${name}`);
          return v;
        };
        return {
          kubeletSessions: value("machinelet_relay_kubelet_sessions"),
          eventLoopDelayP99Ms: value("nodejs_eventloop_lag_p99_seconds") * 1000,
          eventLoopDelayMaxMs: value("nodejs_eventloop_lag_max_seconds") * 1000,
          cpuSeconds: value("process_cpu_seconds_total"),
          eventPosts: value("machinelet_relay_event_batch_duration_seconds"),
          eventPostSeconds: Number(families.get("machinelet_relay_event_batch_duration_seconds")?.metrics[0]?.sum ?? 0),
        };
      },
      stop: () => stopChild(child, exited),
    };
  } catch (e) {
    await stopChild(child, exited);
    throw e;
  }
}

/** Reads the relay's JSON log lines until "relay started" (which names the metrics URL); echoes warnings and errors. */
function startedLine(child: ChildProcess, exited: Promise<number | null>): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the relay did not log 'relay started' within 60 s")), 60_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with ${code} before it started`));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let entry: { level?: string; msg?: string; metrics?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return void console.error(`relay: ${line}`);
      }
      if (entry.level === "warn" || entry.level === "error") console.error(`relay: ${line}`);
      if (entry.msg === "relay started" && entry.metrics) {
        clearTimeout(timer);
        resolve(`${entry.metrics}`);
      }
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
