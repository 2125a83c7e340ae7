import { Clock, Timers } from "./clock";
import { DEFAULT_CONFIG, type EmulatorConfig } from "./config";
import { notFound } from "./errors";
import { newAppId, randomHex, ulidFactory } from "./ids";
import type { AppRecord, MachineRecord, VolumeRecord } from "./model";
import { seededRandom } from "./random";
import { RateLimiter } from "./rate-limit";
import { CallStats } from "./stats";

export interface StateOptions {
  /** Bearer tokens accepted on /v1. */
  tokens: string[];
  /** Apps that exist from the start and survive `POST /_emulator/reset`. */
  apps: string[];
  /** Org slug of those apps. */
  org: string;
  /** The config `POST /_emulator/reset` returns to. */
  config: EmulatorConfig;
}

/** Everything the emulator holds: apps and their machines, volumes, secrets and IPs, plus config and instruments. */
export class EmulatorState {
  readonly apps = new Map<string, AppRecord>();
  readonly clock = new Clock();
  readonly timers = new Timers();
  readonly stats = new CallStats();
  readonly limiter = new RateLimiter(() => this.clock.now());
  readonly newUlid = ulidFactory(() => this.clock.now());
  config: EmulatorConfig = DEFAULT_CONFIG;
  random: () => number = seededRandom(DEFAULT_CONFIG.seed);
  private seq = 0;
  private readonly shutdownController = new AbortController();

  constructor(readonly options: StateOptions) {
    this.reset();
  }

  /** Aborted when the emulator closes; long-polls end on it. */
  get shutdownSignal(): AbortSignal {
    return this.shutdownController.signal;
  }

  now(): number {
    return this.clock.now();
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Back to the starting point: only the configured apps, empty, with the starting config. */
  reset(): void {
    this.timers.cancelAll();
    const waiting = [...this.apps.values()].flatMap((a) => [...a.machines.values()]);
    this.apps.clear();
    this.setConfig(this.options.config);
    this.reseed();
    this.stats.reset();
    this.limiter.reset();
    this.clock.reset();
    for (const name of this.options.apps) this.createApp(name, this.options.org);
    for (const m of waiting) for (const wake of m.listeners) wake();
  }

  /** Takes a private copy: fault counters are consumed in place. */
  setConfig(config: EmulatorConfig): void {
    this.config = structuredClone(config);
  }

  /** Restarts the fault PRNG from `config.seed`. */
  reseed(): void {
    this.random = seededRandom(this.config.seed);
  }

  shutdown(): void {
    this.timers.cancelAll();
    this.shutdownController.abort();
  }

  tokenAccepted(token: string): boolean {
    return this.options.tokens.includes(token);
  }

  createApp(name: string, orgSlug: string, network = "default", idempotencyKey?: string): AppRecord {
    const app: AppRecord = {
      id: newAppId(),
      seq: this.nextSeq(),
      name,
      orgSlug,
      network,
      createdAt: this.now(),
      idempotencyKey,
      netPrefix: randomHex(4).replace(/^0+(?=.)/, ""),
      machines: new Map(),
      volumes: new Map(),
      secrets: new Map(),
      secretsVersion: 0,
      ips: [],
    };
    this.apps.set(name, app);
    return app;
  }

  app(name: string): AppRecord {
    const app = this.apps.get(name);
    if (!app) throw notFound("app");
    return app;
  }

  /** A machine, destroyed ones included while they are still retained. */
  machine(appName: string, id: string): MachineRecord {
    const m = this.app(appName).machines.get(id);
    if (!m) throw notFound("machine");
    return m;
  }

  /** A machine that can still be acted on: destroyed machines answer "machine not found", as on Fly. */
  liveMachine(appName: string, id: string): MachineRecord {
    const m = this.machine(appName, id);
    if (m.state === "destroyed") throw notFound("machine");
    return m;
  }

  /** A volume; deleted (pending_destroy) ones only when `includeDeleted`. */
  volume(appName: string, id: string, includeDeleted = false): VolumeRecord {
    const v = this.app(appName).volumes.get(id);
    if (!v || (v.state === "pending_destroy" && !includeDeleted)) throw notFound("volume");
    return v;
  }

  /** A fresh 6PN address in the app's network, like `fdaa:0:18:a7b:196:e274:9ce1:2`. */
  allocatePrivateIp(app: AppRecord): string {
    const taken = new Set([...app.machines.values()].map((m) => m.privateIp));
    for (;;) {
      const ip = `fdaa:0:${app.netPrefix}:a7b:${randomHex(3)}:${randomHex(4)}:${randomHex(4)}:2`.replace(/:0+(?=[0-9a-f])/g, ":");
      if (!taken.has(ip)) return ip;
    }
  }
}
