import { queryInt } from "../body";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { eventView } from "../machine-view";
import type { EmulatorState } from "../state";
import { parseWaitStates, parseWaitTimeout, waitForState } from "../wait";

const MACHINE = "/v1/apps/{app_name}/machines/{machine_id}";

/** Observing a machine: long-poll `wait`, and its event history (newest first). */
export function machineWaitRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath(`${MACHINE}/wait`), async (c) => {
    const result = await waitForState(
      st,
      {
        appName: pathParam(c, "app_name"),
        machineId: pathParam(c, "machine_id"),
        states: parseWaitStates(c.req.queries("state") ?? []),
        timeoutSeconds: parseWaitTimeout(c.req.query("timeout")),
        // `instance_id` is the deprecated name of `version`.
        version: c.req.query("version") || c.req.query("instance_id") || undefined,
        fromEventId: c.req.query("from_event_id") || undefined,
      },
      c.req.raw.signal,
    );
    return c.json(result);
  });

  app.get(honoPath(`${MACHINE}/events`), (c) => {
    const m = st.machine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    const limit = Math.min(50, queryInt(c, "limit", 1, Number.MAX_SAFE_INTEGER) ?? 20);
    return c.json(m.events.slice(-limit).reverse().map(eventView));
  });
}
