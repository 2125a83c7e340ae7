/**
 * The Machines emulator as the benchmark runs it: the project's emulator app served on a free
 * loopback port, with a request log that records when each /v1 call entered and left the
 * emulator's handler (same process, same `performance.now()` clock as the benchmark), plus the
 * control routes the scenarios use (config, stats, raw machine dump).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createEmulator, type ConfigPatchInput } from "../../src/emulator/server";
import { sleep } from "./wait";
import type { Calls } from "./stats";

export interface LoggedCall {
  method: string;
  /** Path without query, e.g. `/v1/apps/fks-x/machines`. */
  path: string;
  /** The query string without `?` ("" when none), e.g. `state=stopped%2Csuspended&limit=1000`. */
  query: string;
  status: number;
  /** `performance.now()` when the request reached the emulator and when its response was ready. */
  start: number;
  end: number;
}

export interface RawMachine {
  id: string;
  state: string;
  /** Emulator clock (wall ms) when the create handler ran. */
  createdAt: number;
  config: { metadata?: Record<string, string> };
}

export interface BenchEmulator {
  url: string;
  token: string;
  org: string;
  configure(patch: ConfigPatchInput): Promise<void>;
  stats(): Promise<Calls>;
  /** Raw records of every machine of `app`, destroyed ones included; [] when the app does not exist. */
  machines(app: string): Promise<RawMachine[]>;
  /** The machine's main process exits with `exitCode` (the restart policy applies). */
  exit(app: string, machineId: string, exitCode: number): Promise<void>;
  /**
   * Resolves once no /v1 call has been open or answered for `quietMs` (request log), leaving out
   * the calls `ignore` selects (for example the exit watch's periodic list: `isExitWatchList`).
   */
  waitQuiet(quietMs: number, timeoutMs?: number, ignore?: (call: LoggedCall) => boolean): Promise<void>;
  /** Records /v1 calls into a fresh log until the returned function is called; it returns the log. */
  record(): () => LoggedCall[];
  close(): Promise<void>;
}

export async function startBenchEmulator(opts: { token: string; org: string }): Promise<BenchEmulator> {
  const { app, state } = createEmulator({ tokens: [opts.token], org: opts.org });
  let log: LoggedCall[] | undefined;
  /** Every /v1 call as it starts (`end` still 0) and again when answered, for `waitQuiet`. */
  const listeners = new Set<(call: LoggedCall, answered: boolean) => void>();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        hostname: "127.0.0.1",
        port: 0,
        fetch: async (req, env) => {
          const start = performance.now();
          const url = new URL(req.url);
          const v1 = url.pathname.startsWith("/v1/");
          const call: LoggedCall = { method: req.method, path: url.pathname, query: url.search.slice(1), status: 0, start, end: 0 };
          if (v1) for (const l of listeners) l(call, false);
          try {
            const res = await app.fetch(req, env);
            call.status = res.status;
            return res;
          } finally {
            call.end = performance.now();
            if (v1) {
              if (log) log.push(call);
              for (const l of listeners) l(call, true);
            }
          }
        },
      },
      () => resolve(s as Server),
    ) as Server;
    s.once("error", reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const control = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { "content-type": "application/json" } });
    if (!res.ok && res.status !== 404) throw new Error(`emulator ${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const stats = async () => ((await (await control("GET", "/_emulator/stats")).json()) as { calls: Calls }).calls;

  return {
    url,
    token: opts.token,
    org: opts.org,
    async configure(patch) {
      await control("PUT", "/_emulator/config", patch);
    },
    stats,
    async machines(appName) {
      const res = await control("GET", `/_emulator/apps/${encodeURIComponent(appName)}/machines`);
      return res.status === 404 ? [] : ((await res.json()) as RawMachine[]);
    },
    async exit(appName, machineId, exitCode) {
      await control("POST", `/_emulator/apps/${encodeURIComponent(appName)}/machines/${machineId}/exit`, { exitCode });
    },
    async waitQuiet(quietMs, timeoutMs = 120_000, ignore = () => false) {
      const deadline = performance.now() + timeoutMs;
      const open = new Set<LoggedCall>();
      let since = performance.now();
      const listener = (call: LoggedCall, answered: boolean) => {
        if (ignore(call)) return;
        if (answered) open.delete(call);
        else open.add(call);
        since = performance.now();
      };
      listeners.add(listener);
      try {
        // Calls already open when the wait began are not counted as open; they end the quiet when answered.
        while (open.size > 0 || performance.now() - since < quietMs) {
          if (performance.now() > deadline) throw new Error(`the emulator was still being called after ${timeoutMs} ms`);
          await sleep(100);
        }
      } finally {
        listeners.delete(listener);
      }
    },
    record() {
      const mine: LoggedCall[] = [];
      log = mine;
      return () => {
        if (log === mine) log = undefined;
        return mine;
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        state.shutdown();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The exit watch's list (src/worker/cluster/exit-watch.ts): the cluster's machines filtered by
 * `state`, every 1-2 s while any machine may run, whatever else happens. No other list of the
 * worker's filters by state (a reconcile pass lists every machine, a pod's step filters by uid).
 */
export const isExitWatchList = (c: LoggedCall): boolean =>
  c.method === "GET" && /^\/v1\/apps\/[^/]+\/machines$/.test(c.path) && new URLSearchParams(c.query).has("state");
