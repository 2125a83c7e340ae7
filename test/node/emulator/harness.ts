import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { startEmulator, type ConfigPatchInput, type RunningEmulator } from "../../../src/emulator/server";
import { SpecValidator } from "../../support/spec-validator";

export const TOKEN = "test-token";
export const APP = "fks-test";
export const ORG = "test-org";
/** Fast lifecycle, no throttling: each test file turns on what it exercises. */
export const FAST_CONFIG = { bootMs: 20, transitionMs: 10, latencyMs: 0, rateLimits: false, destroyedRetentionMs: 60_000 } satisfies ConfigPatchInput;

/** The spec check `fly` applies; exported for tests that talk to an emulator of their own. */
export const validator = new SpecValidator();

export interface FlyResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface FlyInit {
  body?: unknown;
  headers?: Record<string, string>;
  /** null: no Authorization header. */
  token?: string | null;
}

/** Any machine config the tests do not care about. */
export const IMAGE = "registry-1.docker.io/library/nginx:1.27";

export interface Harness {
  readonly url: string;
  /** A /v1 call; every answer is checked against the spec before the test sees it. */
  fly<T = any>(method: string, path: string, init?: FlyInit): Promise<FlyResult<T>>;
  /** A control-route call (no auth, no spec). */
  control<T = any>(method: string, path: string, body?: unknown): Promise<FlyResult<T>>;
  setConfig(patch: ConfigPatchInput): Promise<void>;
  createMachine(body?: Record<string, unknown>): Promise<any>;
  /** Blocks (server side) until the machine is in `state`. */
  waitFor(id: string, state: string): Promise<any>;
}

async function call(url: string, method: string, init: FlyInit): Promise<FlyResult> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url, { method, headers, body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body) });
  const text = await res.text();
  const isJson = res.headers.get("content-type")?.includes("application/json");
  return { status: res.status, body: text === "" ? undefined : isJson ? JSON.parse(text) : text, headers: res.headers };
}

/** Starts one emulator for the test file (port 0) and resets it before every test. */
export function useEmulator(config: ConfigPatchInput = {}, opts: { loopback?: boolean } = {}): Harness {
  let emu: RunningEmulator | undefined;
  const base = () => {
    if (!emu) throw new Error("emulator not started");
    return emu.url;
  };
  beforeAll(async () => {
    emu = await startEmulator({ port: 0, tokens: [TOKEN], apps: [APP], org: ORG, config: { ...FAST_CONFIG, ...config }, loopback: opts.loopback });
  });
  afterAll(async () => {
    await emu?.close();
  });
  beforeEach(async () => {
    await h.control("POST", "/_emulator/reset");
  });

  const h: Harness = {
    get url() {
      return base();
    },
    async fly(method, path, init = {}) {
      const token = init.token === undefined ? TOKEN : init.token;
      const headers = { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...init.headers };
      const res = await call(`${base()}${path}`, method, { ...init, headers });
      validator.assertValid({ method, path, status: res.status, body: res.body });
      return res;
    },
    control: (method, path, body) => call(`${base()}${path}`, method, { body }),
    async setConfig(patch) {
      const res = await h.control("PUT", "/_emulator/config", patch);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    },
    async createMachine(body = {}) {
      const res = await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: IMAGE }, ...body } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    },
    async waitFor(id, state) {
      const res = await h.fly("GET", `/v1/apps/${APP}/machines/${id}/wait?state=${state}&timeout=10`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    },
  };
  return h;
}

export const machinePath = (id: string, suffix = "") => `/v1/apps/${APP}/machines/${id}${suffix}`;
