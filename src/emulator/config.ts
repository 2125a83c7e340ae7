import { z } from "zod";

const execResultSchema = z.strictObject({
  exit_code: z.number().int(),
  stdout: z.string().default(""),
  stderr: z.string().default(""),
  exit_signal: z.number().int().optional(),
});
export type ExecResult = z.infer<typeof execResultSchema>;

const probability = z.number().min(0).max(1);
const checkStatus = z.enum(["passing", "warning", "critical"]);

const faultsSchema = z.strictObject({
  /** Apps whose calls `errorRate`, `failNext`, `create408` and `failBoots` apply to; empty = every app. Lets parallel tests inject faults without touching each other. */
  apps: z.array(z.string().min(1)),
  /** Per route template ("POST /v1/apps/{app_name}/machines"): probability that a call answers `errorStatus` and does nothing. */
  errorRate: z.record(z.string(), probability),
  /** Per route template: the next N calls answer `errorStatus` and do nothing (a deterministic `errorRate`). */
  failNext: z.record(z.string(), z.number().int().nonnegative()),
  /** The 5xx that injected failures answer with. */
  errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]),
  /** The next N machine creates make the machine and then answer 408, as flyd sometimes does. */
  create408: z.number().int().nonnegative(),
  /** The next N boots (launch, start, restart, update) end in `failed` instead of `started`. */
  failBoots: z.number().int().nonnegative(),
});
export type FaultConfig = z.infer<typeof faultsSchema>;

const configSchema = z.strictObject({
  /** Added before every /v1 response. */
  latencyMs: z.number().int().nonnegative(),
  /** starting -> started. */
  bootMs: z.number().int().nonnegative(),
  /** Added to a boot whose images the machine's host does not hold yet (a create's first boot, or a new image): the pull. */
  imagePullMs: z.number().int().nonnegative(),
  /** stopping, suspending, restarting, replacing, destroying -> their resting state. */
  transitionMs: z.number().int().nonnegative(),
  /** Fly's documented per-action token buckets; 429 when exceeded. */
  rateLimits: z.boolean(),
  faults: faultsSchema,
  /** What `exec` answers: the first rule whose `command` equals the request argv, else `default`. */
  exec: z.strictObject({
    default: execResultSchema,
    rules: z.array(execResultSchema.extend({ command: z.array(z.string()).min(1) })),
  }),
  /** Status that `checks[]` report for a started machine (stopped machines report critical). */
  checkStatus,
  /** How long a destroyed machine stays visible (state `destroyed`) before it answers 404. */
  destroyedRetentionMs: z.number().int().nonnegative(),
  /** Region used when a create names none. */
  defaultRegion: z.string().min(1),
  /** Ports an image listens on (image reference as in the config -> ports), for the loopback listeners of `network`. */
  imagePorts: z.record(z.string(), z.array(z.number().int().min(1).max(65535))),
  /** Globs (`*` = any run) of image references that do not exist: creates and updates using one answer 422 (README, "Images"). */
  missingImages: z.array(z.string().min(1)),
  /** Seed of the PRNG behind `faults.errorRate` (restarted by reset and by setting it). */
  seed: z.number().int(),
  /**
   * Where `exit` events carry the exit: `request.exit_event` or `request.MonitorEvent.exit_event`.
   * Fly reports both forms (fly-go's MachineRequest decodes both and prefers MonitorEvent).
   */
  exitEventForm: z.enum(["exit_event", "MonitorEvent"]),
});
export type EmulatorConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: EmulatorConfig = {
  latencyMs: 0,
  bootMs: 300,
  imagePullMs: 0,
  transitionMs: 100,
  rateLimits: true,
  faults: { apps: [], errorRate: {}, failNext: {}, errorStatus: 503, create408: 0, failBoots: 0 },
  exec: { default: { exit_code: 0, stdout: "", stderr: "" }, rules: [] },
  checkStatus: "passing",
  destroyedRetentionMs: 30_000,
  defaultRegion: "iad",
  imagePorts: {},
  missingImages: ["*does-not-exist*"],
  seed: 1,
  exitEventForm: "exit_event",
};

/**
 * Timings as Fly publishes them (reference/fly-mapping.md §8): a create takes "low double digit
 * seconds" (the image pull dominates), a start of a stopped machine "well under a second". The
 * defaults above stay fast for tests; `npm run bench` and anyone who wants Fly's pace put these.
 */
export const FLY_TIMINGS = { bootMs: 500, imagePullMs: 10_000, transitionMs: 200 } satisfies Partial<EmulatorConfig>;

/** Body of `PUT /_emulator/config`: any subset; `faults` and `exec` merge one level deep. */
export const configPatchSchema = configSchema.extend({
  faults: faultsSchema.partial(),
  exec: configSchema.shape.exec.partial(),
}).partial();
export type ConfigPatch = z.infer<typeof configPatchSchema>;
export type ConfigPatchInput = z.input<typeof configPatchSchema>;

export function mergeConfig(base: EmulatorConfig, patch: ConfigPatch): EmulatorConfig {
  return {
    ...base,
    ...patch,
    faults: { ...base.faults, ...patch.faults },
    exec: { ...base.exec, ...patch.exec },
  };
}
