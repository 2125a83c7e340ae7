import { z } from "zod";
import { parseOr400, readJsonBody } from "./body";
import { badRequest } from "./errors";
import { configPatchSchema, mergeConfig } from "./config";
import type { FlyApp } from "./hono-env";
import { bootView } from "./boot-view";
import { processExited } from "./lifecycle";
import type { EmulatorState } from "./state";

const exitSchema = z.strictObject({ exitCode: z.number({ error: "required: an integer" }).int().min(0).max(255), oomKilled: z.boolean().optional() });
const clockSchema = z.strictObject({ advanceMs: z.number({ error: "required: milliseconds" }).int().nonnegative() });

/**
 * Routes for tests and staging only, outside /v1 and without authentication: reset, config,
 * stats, process exits, a state dump, and the emulator clock.
 */
export function controlRoutes(app: FlyApp, st: EmulatorState, flyRoutes: () => ReadonlySet<string>): void {
  app.post("/_emulator/reset", (c) => {
    st.reset();
    return c.json({ ok: true });
  });

  app.get("/_emulator/config", (c) => c.json(st.config));

  app.put("/_emulator/config", async (c) => {
    const patch = parseOr400(configPatchSchema, (await readJsonBody(c)) ?? {});
    const known = flyRoutes();
    for (const field of ["errorRate", "failNext"] as const) {
      const unknown = Object.keys(patch.faults?.[field] ?? {}).find((route) => !known.has(route));
      if (unknown !== undefined) {
        throw badRequest(`invalid faults.${field}: unknown route ${JSON.stringify(unknown)}; keys are "<METHOD> <spec path template>", e.g. "POST /v1/apps/{app_name}/machines"`);
      }
    }
    st.setConfig(mergeConfig(st.config, patch));
    if (patch.seed !== undefined) st.reseed();
    return c.json(st.config);
  });

  app.get("/_emulator/stats", (c) => c.json(st.stats.snapshot(c.req.query("app"))));

  /** The machine's main process exits with `exitCode`; its restart policy decides what happens next. */
  app.post("/_emulator/apps/:app/machines/:id/exit", async (c) => {
    const target = st.app(c.req.param("app"));
    const m = st.liveMachine(target.name, c.req.param("id"));
    const body = parseOr400(exitSchema, (await readJsonBody(c)) ?? {});
    const { restarting } = processExited(st, target, m, { exitCode: body.exitCode, oomKilled: body.oomKilled ?? false });
    return c.json({ ok: true, restarting, state: m.state, restart_count: m.restartCount });
  });

  /** Raw machine records, destroyed ones included (secret values left out). */
  app.get("/_emulator/apps/:app/machines", (c) =>
    c.json([...st.app(c.req.param("app")).machines.values()].map(({ pending: _pending, listeners: _listeners, secrets: _secrets, ...record }) => record)),
  );

  /** What the machine would see at boot: environment, files and mounts (contract shape; boot-view.ts). */
  app.get("/_emulator/apps/:app/machines/:id/boot", (c) => {
    const target = st.app(c.req.param("app"));
    return c.json(bootView(target, st.machine(target.name, c.req.param("id"))));
  });

  /** Moves the emulator clock forward (lease expiry, rate-limit refill, restart window); timers are unaffected. */
  app.post("/_emulator/clock", async (c) => {
    const body = parseOr400(clockSchema, (await readJsonBody(c)) ?? {});
    st.clock.advance(body.advanceMs);
    return c.json({ now: st.now() });
  });
}
