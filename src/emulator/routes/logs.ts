import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { badRequest, FlyError } from "../errors";
import type { FlyApp } from "../hono-env";
import { appendLog, nsTimestamp, queryLogs } from "../app-logs";
import type { EmulatorState } from "../state";

const injectSchema = z.strictObject({
  lines: z.array(z.string()).min(1, "at least one line"),
  container: z.string().min(1).optional(),
});

function bearer(header: string | undefined): string | undefined {
  return /^(?:Bearer|FlyV1)\s+(.+)$/i.exec(header ?? "")?.[1]?.trim();
}

/**
 * Fly's logs endpoint (api.fly.io, outside the Machines API's /v1): JSON:API `data[]` of log
 * lines with `meta.next_token`, filtered by `instance` and `region`; and the control route that
 * appends a machine's own output.
 */
export function logRoutes(app: FlyApp, st: EmulatorState): void {
  app.get("/api/v1/apps/:app/logs", (c) => {
    const token = bearer(c.req.header("authorization"));
    if (!token || !st.tokenAccepted(token)) throw new FlyError(401, "Authenticate: token validation error");
    const target = st.app(c.req.param("app"));
    const raw = c.req.query("next_token");
    if (raw !== undefined && raw !== "" && !/^\d{1,25}$/.test(raw)) throw badRequest("invalid next_token: must be a timestamp in nanoseconds");
    const { lines, nextToken } = queryLogs(st, target, {
      instance: c.req.query("instance") || undefined,
      region: c.req.query("region") || undefined,
      afterNs: raw ? BigInt(raw) : undefined,
    });
    return c.json({
      data: lines.map((l) => ({
        id: String(l.ns),
        type: "logs",
        attributes: {
          timestamp: nsTimestamp(l.ns),
          message: l.message,
          level: l.level,
          instance: l.instance,
          region: l.region,
          meta: { instance: l.instance, region: l.region, event: { provider: l.provider }, ...(l.container ? { container: l.container } : {}) },
        },
      })),
      meta: { next_token: nextToken },
    });
  });

  app.post("/_emulator/apps/:app/machines/:id/logs", async (c) => {
    const m = st.machine(c.req.param("app"), c.req.param("id"));
    const body = parseOr400(injectSchema, (await readJsonBody(c)) ?? {});
    if (body.container !== undefined && !m.config.containers?.some((ctr) => ctr.name === body.container)) {
      throw badRequest(`invalid container: no container named ${JSON.stringify(body.container)}`);
    }
    for (const message of body.lines) appendLog(st, m, { message, level: "info", provider: "app", ...(body.container ? { container: body.container } : {}) });
    return c.json({ ok: true, appended: body.lines.length });
  });
}
