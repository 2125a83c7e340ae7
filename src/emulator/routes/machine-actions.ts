import type { Context } from "hono";
import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { badRequest, failedPrecondition } from "../errors";
import { honoPath, pathParam, type FlyApp, type FlyEnv } from "../hono-env";
import { isRequestDuration } from "../durations";
import { assertLeaseHolder, LEASE_NONCE_HEADER } from "../leases";
import { restart, start, stop, suspend } from "../lifecycle";
import { STOP_SIGNALS } from "../machine-config";
import { transition } from "../machine-events";
import type { AppRecord, MachineRecord } from "../model";
import type { EmulatorState } from "../state";

const MACHINE = "/v1/apps/{app_name}/machines/{machine_id}";
const SIGNALS = ["SIGABRT", "SIGALRM", "SIGFPE", "SIGHUP", "SIGILL", "SIGINT", "SIGKILL", "SIGPIPE", "SIGQUIT", "SIGSEGV", "SIGTERM", "SIGTRAP", "SIGUSR1", "SIGUSR2"] as const;

const stopSchema = z.looseObject({ signal: z.enum(STOP_SIGNALS).optional(), timeout: z.string().refine(isRequestDuration, "not a duration").optional() });
const signalSchema = z.looseObject({ signal: z.enum(SIGNALS, { error: (iss) => (iss.input === undefined ? "required" : `must be one of ${SIGNALS.join(", ")}`) }) });

type Action = (app: AppRecord, m: MachineRecord, c: Context<FlyEnv>) => Promise<object> | object;

/** Every action needs a live machine; `guarded` ones also need the lease holder's nonce while leased. */
function action(app: FlyApp, st: EmulatorState, name: string, guarded: boolean, run: Action): void {
  app.post(honoPath(`${MACHINE}/${name}`), async (c) => {
    const target = st.app(pathParam(c, "app_name"));
    const m = st.liveMachine(target.name, pathParam(c, "machine_id"));
    if (guarded) assertLeaseHolder(st, m, c.req.header(LEASE_NONCE_HEADER));
    return c.json(await run(target, m, c));
  });
}

export function machineActionRoutes(app: FlyApp, st: EmulatorState): void {
  action(app, st, "start", true, (_app, m) => ({ previous_state: start(st, m), migrated: false, new_host: "" }));

  action(app, st, "stop", true, async (target, m, c) => {
    const body = parseOr400(stopSchema, (await readJsonBody(c)) ?? {});
    stop(st, target, m, body.signal ?? m.config.stop_config?.signal ?? "SIGINT");
    return { ok: true };
  });

  action(app, st, "suspend", true, (_app, m) => {
    suspend(st, m);
    return { ok: true };
  });

  action(app, st, "restart", true, (_app, m, c) => {
    const timeout = c.req.query("timeout");
    if (timeout !== undefined && !isRequestDuration(timeout)) throw badRequest("invalid timeout: not a duration");
    const signal = c.req.query("signal");
    if (signal !== undefined && !(SIGNALS as readonly string[]).includes(signal)) throw badRequest(`invalid signal: must be one of ${SIGNALS.join(", ")}`);
    restart(st, m);
    return { ok: true };
  });

  // Signals reach the main process but are not simulated: the machine keeps running.
  action(app, st, "signal", false, async (_app, m, c) => {
    parseOr400(signalSchema, (await readJsonBody(c)) ?? {});
    if (m.state !== "started") throw failedPrecondition(`unable to signal machine from current state: '${m.state}'`);
    return { ok: true };
  });

  for (const [name, cordoned] of [["cordon", true], ["uncordon", false]] as const) {
    action(app, st, name, true, (_app, m) => {
      m.cordoned = cordoned;
      transition(st, m, m.state);
      return { ok: true };
    });
  }
}
