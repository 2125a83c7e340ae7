import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { badRequest, failedPrecondition } from "../errors";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { assertNotLeased } from "../leases";
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

/** Runs nothing: answers with the configured result for this argv (`exec` in the emulator config). */
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
    assertNotLeased(st, m);
    if (m.state !== "started") throw failedPrecondition(`unable to exec in machine from current state: '${m.state}'`);
    const rule = st.config.exec.rules.find((r) => r.command.length === argv.length && r.command.every((a, i) => a === argv[i]));
    const { exit_code, stdout, stderr, exit_signal } = rule ?? st.config.exec.default;
    return c.json({ exit_code, stdout, stderr, ...(exit_signal !== undefined ? { exit_signal } : {}) });
  });
}
