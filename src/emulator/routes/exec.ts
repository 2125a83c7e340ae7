import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { sleep } from "../clock";
import { badRequest, failedPrecondition, FlyError } from "../errors";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { assertNotLeased } from "../leases";
import type { MachineRecord } from "../model";
import type { EmulatorState } from "../state";

const execSchema = z.looseObject({
  command: z.array(z.string()).optional(),
  /** Deprecated single string; fly-go still sends it. */
  cmd: z.string().optional(),
  container: z.string().optional(),
  machine: z.boolean().optional(),
  stdin: z.string().optional(),
  timeout: z.number().int().positive().optional(),
});

const queuedSchema = z.strictObject({
  stdout: z.string().default(""),
  stderr: z.string().default(""),
  exit_code: z.number({ error: "required: an integer" }).int(),
  exit_signal: z.number().int().optional(),
  /** How long the command runs; past the exec deadline the call answers 408 instead. */
  duration_ms: z.number().int().nonnegative().optional(),
});
type QueuedResult = z.infer<typeof queuedSchema>;

/** stdin Fly accepts (flyctl caps it at 1 MB client-side). */
const MAX_STDIN_BYTES = 1_000_000;
/** Commands running longer than about 30 s answer 408 deadline_exceeded on Fly. */
const EXEC_DEADLINE_S = 30;

const queues = new WeakMap<MachineRecord, QueuedResult[]>();

/**
 * Runs nothing: answers with the next result queued for the machine, else the configured result
 * for this argv (`exec` in the emulator config). A queued `duration_ms` beyond the deadline
 * (`timeout`, at most 30 s) answers 408 after the deadline, as Fly does.
 */
export function execRoutes(app: FlyApp, st: EmulatorState): void {
  app.post(honoPath("/v1/apps/{app_name}/machines/{machine_id}/exec"), async (c) => {
    const m = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    const body = parseOr400(execSchema, (await readJsonBody(c)) ?? {});
    const argv = body.command?.length ? body.command : body.cmd?.trim() ? body.cmd.trim().split(/\s+/) : undefined;
    if (!argv) throw badRequest("invalid command: required");
    if (body.container !== undefined && body.machine) throw badRequest("invalid machine: machine and container are mutually exclusive");
    if (body.container !== undefined && !m.config.containers?.some((ctr) => ctr.name === body.container)) {
      throw badRequest(`invalid container: no container named ${JSON.stringify(body.container)}`);
    }
    if (body.stdin !== undefined && Buffer.byteLength(body.stdin) > MAX_STDIN_BYTES) throw badRequest(`invalid stdin: larger than ${MAX_STDIN_BYTES} bytes`);
    assertNotLeased(st, m);
    if (m.state !== "started") throw failedPrecondition(`unable to exec in machine from current state: '${m.state}'`);
    const queued = queues.get(m)?.shift();
    if (queued?.duration_ms !== undefined) {
      const deadlineMs = Math.min(body.timeout ?? EXEC_DEADLINE_S, EXEC_DEADLINE_S) * 1000;
      await sleep(Math.min(queued.duration_ms, deadlineMs));
      if (queued.duration_ms > deadlineMs) throw new FlyError(408, "deadline_exceeded: exec did not complete in time");
    }
    const rule = st.config.exec.rules.find((r) => r.command.length === argv.length && r.command.every((a, i) => a === argv[i]));
    const { exit_code, stdout, stderr, exit_signal } = queued ?? rule ?? st.config.exec.default;
    return c.json({ exit_code, stdout, stderr, ...(exit_signal !== undefined ? { exit_signal } : {}) });
  });

  app.post("/_emulator/apps/:app/machines/:id/exec-results", async (c) => {
    const m = st.liveMachine(c.req.param("app"), c.req.param("id"));
    const result = parseOr400(queuedSchema, (await readJsonBody(c)) ?? {});
    const queue = queues.get(m) ?? [];
    queue.push(result);
    queues.set(m, queue);
    return c.json({ ok: true, queued: queue.length });
  });
}
