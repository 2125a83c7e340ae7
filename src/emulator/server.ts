import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createEmulatorApp } from "./app";
import { configPatchSchema, DEFAULT_CONFIG, mergeConfig, type ConfigPatchInput, type EmulatorConfig } from "./config";
import type { FlyApp } from "./hono-env";
import { EmulatorState } from "./state";
import { attachLoopback } from "./network/loopback";

export type { ConfigPatchInput, EmulatorConfig, ExecResult, FaultConfig } from "./config";
export { createEmulatorApp } from "./app";
export { EmulatorState } from "./state";

export interface EmulatorOptions {
  /** Accepted bearer tokens. Default `["test-token"]`. */
  tokens?: string[];
  /** Apps present from the start (and after every reset). Default none. */
  apps?: string[];
  /** Org slug of those apps. Default `personal`. */
  org?: string;
  /** Overrides of the default config; also what `POST /_emulator/reset` returns to. */
  config?: ConfigPatchInput;
  /** Stand in for machines' ports and Fly Proxy on 127.0.0.1 (see network/loopback.ts). Default false. */
  loopback?: boolean;
}

export interface StartEmulatorOptions extends EmulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Sees every /v1 response as sent (JSON parsed, text as text, empty as undefined): lets a test suite check each against the spec. */
  onResponse?: (res: SentResponse) => void;
}

export interface SentResponse {
  method: string;
  /** Path with its query string. */
  path: string;
  status: number;
  body: unknown;
}

export interface RunningEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The emulator's state and Hono app, without a socket. */
export function createEmulator(opts: EmulatorOptions = {}): { app: FlyApp; state: EmulatorState } {
  const config: EmulatorConfig = mergeConfig(DEFAULT_CONFIG, configPatchSchema.parse(opts.config ?? {}));
  const state = new EmulatorState({ tokens: opts.tokens ?? ["test-token"], apps: opts.apps ?? [], org: opts.org ?? "personal", config });
  return { app: createEmulatorApp(state), state };
}

/** Serves the emulator over HTTP until `close()`. */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { app, state } = createEmulator(opts);
  const loopback = opts.loopback ? attachLoopback(state) : undefined;
  const host = opts.host ?? "127.0.0.1";
  const server = await new Promise<Server>((resolve, reject) => {
    const fetch = opts.onResponse ? observed(app.fetch, opts.onResponse) : app.fetch;
    const s = serve({ fetch, port: opts.port ?? 0, hostname: host }, () => resolve(s as Server)) as Server;
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: async () => {
      state.shutdown();
      await loopback?.close();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function observed(fetch: (req: Request) => Response | Promise<Response>, onResponse: (res: SentResponse) => void) {
  return async (req: Request): Promise<Response> => {
    const res = await fetch(req);
    const url = new URL(req.url);
    if (!url.pathname.startsWith("/v1/")) return res;
    const text = await res.clone().text();
    const json = res.headers.get("content-type")?.includes("application/json");
    onResponse({ method: req.method, path: url.pathname + url.search, status: res.status, body: text === "" ? undefined : json ? JSON.parse(text) : text });
    return res;
  };
}
