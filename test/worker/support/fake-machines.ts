/**
 * An in-memory stand-in for the Machines calls convergence and reconcile make (`MachinesPort`),
 * for table tests that need no HTTP. It follows the emulator's rules in miniature: a create
 * answers `created` and a wait boots it; stop, delete and update move through Fly's transient
 * states (an update boots a stopped machine unless `skip_launch`); a stale `current_version` is a 409; a machine being destroyed reads `destroying` once,
 * then `destroyed`, then 404. Errors are the adapter's own `MachinesApiError`s. Every call is logged.
 */
import { MachinesApiError } from "../../../src/machines/errors";
import type { Machine } from "../../../src/machines/schemas";
import type { MachinesPort } from "../../../src/worker/cluster/machines-port";

type Call = { op: string; id?: string; args?: unknown };

const fail = (kind: MachinesApiError["kind"], status: number, op: string, message: string) => new MachinesApiError(kind, message, status, op);

export class FakeMachines implements MachinesPort {
  readonly machines = new Map<string, Machine>();
  readonly calls: Call[] = [];
  /** The next N creates make the machine and then answer 408, as flyd sometimes does. */
  create408 = 0;
  /** The next N updates change the machine and then answer 408 (the answer is lost). */
  update408 = 0;
  /** The next N lists answer 429 (a call that reached Fly's bucket a few ms early). */
  list429 = 0;
  /** While set, every `wait` blocks until it resolves (machines that take long to boot). */
  waitsBlockUntil: Promise<void> | undefined;
  /** `wait` calls in flight now, and the most there ever were at once. */
  waitsOpen = 0;
  maxWaitsOpen = 0;
  /** Images that do not exist: a create or update using one is refused as Fly refuses it (422, emulator README "Images"). */
  readonly missingImages = new Set<string>();
  #seq = 0;
  #versionSeq = 0;
  /** Machines in `destroying` that were read once since (the next read says `destroyed`). */
  readonly #destroyReads = new Map<string, number>();

  /** Fly's list is eventually consistent (Corrosion): a machine shows in lists only this long after its create. */
  listLagMs = 0;
  readonly #createdAt = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** The ops called, in order (`create`, `wait`, ...). */
  get ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  async createMachine(_app: string, req: Parameters<MachinesPort["createMachine"]>[1]): Promise<Machine> {
    this.calls.push({ op: "create", args: req });
    this.#checkImages(req.config, "createMachine");
    const id = `m${++this.#seq}`;
    const m: Machine = { id, name: req.name, state: "created", version: this.#version(), region: req.region ?? "iad", private_ip: `fdaa::${this.#seq}`, config: req.config, events: [], checks: [] };
    this.machines.set(id, m);
    this.#createdAt.set(id, this.now());
    if (this.create408 > 0) {
      this.create408--;
      throw fail("transient", 408, "createMachine", "deadline_exceeded: timed out while creating the machine");
    }
    return structuredClone(m);
  }

  async getMachine(_app: string, id: string): Promise<Machine> {
    this.calls.push({ op: "get", id });
    const m = this.#live(id, "getMachine");
    if (m.state === "destroying") {
      const reads = (this.#destroyReads.get(id) ?? 0) + 1;
      this.#destroyReads.set(id, reads);
      if (reads > 1) m.state = "destroyed";
    }
    return structuredClone(m);
  }

  async updateMachine(_app: string, id: string, req: Parameters<MachinesPort["updateMachine"]>[2]): Promise<Machine> {
    this.calls.push({ op: "update", id, args: req });
    const m = this.#live(id, "updateMachine");
    if (req.current_version !== undefined && req.current_version !== m.version) throw fail("conflict", 409, "updateMachine", `machine version ${m.version} is not ${req.current_version}`);
    this.#checkImages(req.config, "updateMachine");
    m.config = req.config;
    m.version = this.#version();
    this.#event(m, "update", {});
    // Fly starts a stopped machine it updates unless skip_launch.
    if (!req.skip_launch && ["stopped", "created"].includes(m.state)) m.state = "starting";
    if (this.update408 > 0) {
      this.update408--;
      throw fail("transient", 408, "updateMachine", "deadline_exceeded: timed out while updating the machine");
    }
    return structuredClone(m);
  }

  async startMachine(_app: string, id: string): Promise<{ ok?: boolean }> {
    this.calls.push({ op: "start", id });
    const m = this.#live(id, "startMachine");
    if (!["stopped", "suspended", "failed"].includes(m.state)) throw fail("precondition", 412, "startMachine", `unable to start machine from current state: '${m.state}'`);
    m.state = "starting";
    this.#event(m, "start", {});
    return { ok: true };
  }

  async stopMachine(_app: string, id: string, req: Parameters<MachinesPort["stopMachine"]>[2]): Promise<{ ok?: boolean }> {
    this.calls.push({ op: "stop", id, args: req });
    const m = this.#live(id, "stopMachine");
    m.state = "stopping";
    return { ok: true };
  }

  async deleteMachine(_app: string, id: string): Promise<{ ok?: boolean }> {
    this.calls.push({ op: "delete", id });
    const m = this.#live(id, "deleteMachine");
    m.state = "destroying";
    return { ok: true };
  }

  /** Settles a transient state at once (boot, stop, destroy), or answers 408 when none of `states` is reached. */
  async waitMachine(_app: string, id: string, opts: Parameters<MachinesPort["waitMachine"]>[2]): Promise<{ ok?: boolean; state?: string; version?: string }> {
    this.calls.push({ op: "wait", id, args: opts });
    this.maxWaitsOpen = Math.max(this.maxWaitsOpen, ++this.waitsOpen);
    try {
      await this.waitsBlockUntil;
    } finally {
      this.waitsOpen--;
    }
    const m = this.#live(id, "waitMachine");
    this.#settleTransient(m);
    if (!(opts.states as string[]).includes(m.state)) throw fail("transient", 408, "waitMachine", `deadline_exceeded: machine failed to reach desired state, currently ${m.state}`);
    return { ok: true, state: m.state, version: m.version };
  }

  async listMachines(_app: string, p: Parameters<MachinesPort["listMachines"]>[1] = {}): Promise<{ machines: Machine[]; nextCursor?: string }> {
    this.calls.push({ op: "list", args: p });
    if (this.list429 > 0) {
      this.list429--;
      throw fail("rate_limited", 429, "listMachines", "rate limit exceeded");
    }
    const wanted = Object.entries(p.metadata ?? {});
    const listed = (m: Machine) => this.now() - (this.#createdAt.get(m.id) ?? -Infinity) >= this.listLagMs;
    const machines = [...this.machines.values()].filter((m) => listed(m) && wanted.every(([k, v]) => m.config?.metadata?.[k] === v) && (!p.state || p.state.includes(m.state)));
    return { machines: machines.map((m) => structuredClone(m)) };
  }

  // ---- what happens behind machinelet's back

  /** The main process exits with `code` and the machine stops (its restart policy says no). */
  exit(id: string, code: number): void {
    const m = this.machines.get(id)!;
    m.state = "stopped";
    this.#event(m, "exit", { exit_event: { exit_code: code, requested_stop: false, oom_killed: false, restarting: false } });
  }

  /** Time passes: every machine booting or stopping gets where it was going (as a `wait` on it would see). */
  settleAll(): void {
    for (const m of this.machines.values()) this.#settleTransient(m);
  }

  /** Someone (dashboard, flyctl) changes the config: a new version. */
  tamper(id: string, change: (config: NonNullable<Machine["config"]>) => void): void {
    const m = this.machines.get(id)!;
    change(m.config!);
    m.version = this.#version();
  }

  /** The machine is destroyed by someone else and gone at once. */
  vanish(id: string): void {
    this.machines.delete(id);
  }

  #settleTransient(m: Machine): void {
    const settled: Record<string, string> = { created: "started", starting: "started", stopping: "stopped", destroying: "destroyed" };
    if (settled[m.state]) this.#settle(m, settled[m.state]!);
  }

  #settle(m: Machine, state: string): void {
    m.state = state;
    if (state === "started") this.#event(m, "start", {});
    if (state === "stopped") this.#event(m, "exit", { exit_event: { exit_code: 0, requested_stop: true, oom_killed: false, restarting: false } });
  }

  #event(m: Machine, type: string, request: Record<string, unknown>): void {
    m.events = [{ type, status: m.state, source: "flyd", timestamp: this.now() + (m.events?.length ?? 0), request }, ...(m.events ?? [])];
  }

  #live(id: string, op: string): Machine {
    const m = this.machines.get(id);
    if (!m || (m.state === "destroyed" && (this.#destroyReads.get(id) ?? 0) > 2)) throw fail("not_found", 404, op, "machine not found");
    return m;
  }

  #version(): string {
    return `v${++this.#versionSeq}`;
  }

  #checkImages(config: Machine["config"], op: string): void {
    const missing = [config?.image, ...(config?.containers ?? []).map((c) => c.image)].find((i) => i && this.missingImages.has(i));
    if (missing) throw fail("invalid", 422, op, `${op}: 422 failed to launch VM: failed to resolve reference "${missing}": ${missing}: not found`);
  }
}
