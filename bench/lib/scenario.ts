/** What every scenario gets from the runner, and what it gives back. */
import type { MachinesClient } from "../../src/machines/client";
import { ClusterClient } from "./cluster";
import type { BenchEmulator } from "./emulator";
import type { Metric } from "./results";

export interface BenchContext {
  emulator: BenchEmulator;
  /** Direct Machines API client against the emulator (the "no machinelet" baseline, and seeding). */
  fly: MachinesClient;
  /** A fresh cluster (and so a fresh Fly app `fks-<name>`) on the worker under test. */
  newCluster(prefix: string): ClusterClient;
  burstPods: number;
  /** Where a relay reaches the worker under test, and the secret it signs with. */
  worker: { url: string; relaySecret: string };
  log(message: string): void;
  /**
   * Runs `fn`; with BENCH_PROFILE_DIR and BENCH_INSPECTOR_PORT set, under a CPU profile of the
   * worker written to `<dir>/<label>.cpuprofile` (and its top functions to `<label>.txt`).
   */
  profile<T>(label: string, fn: () => Promise<T>): Promise<T>;
}

export interface Scenario {
  /** The name BENCH_ONLY selects it by. */
  name: string;
  /** Whether a results.json key is this scenario's (replaced when it runs, kept otherwise). */
  owns(key: string): boolean;
  run(ctx: BenchContext): Promise<Metric[]>;
}
