import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { sleep } from "./clock";
import { FlyError } from "./errors";
import { specPath, type FlyEnv } from "./hono-env";
import { limitFor, limitScope } from "./rate-limit";
import type { EmulatorState } from "./state";

const STATUS_TEXT: Record<number, string> = { 500: "internal server error", 502: "bad gateway", 503: "service unavailable", 504: "gateway timeout" };

/** The spec route template the request matched, e.g. "GET /v1/apps/{app_name}/machines/{machine_id}". */
function resolveRoute(c: Parameters<MiddlewareHandler<FlyEnv>>[0]): { route: string; template?: string } {
  const handler = matchedRoutes(c).findLast((r) => r.method !== "ALL");
  if (!handler) return { route: `${c.req.method} ${c.req.path}` };
  const template = specPath(handler.path);
  return { route: `${c.req.method} ${template}`, template };
}

/** Path parameters of `template` in `path` (middleware sees only its own route's params). */
function pathParams(template: string, path: string): Record<string, string> {
  const names = template.split("/");
  const values = path.split("/");
  const params: Record<string, string> = {};
  names.forEach((seg, i) => {
    const m = /^\{(\w+)\}$/.exec(seg);
    const v = values[i];
    if (m?.[1] && v !== undefined) params[m[1]] = decodeURIComponent(v);
  });
  return params;
}

function bearerToken(header: string | undefined): string | undefined {
  const m = /^(?:Bearer|FlyV1)\s+(.+)$/i.exec(header ?? "");
  return m?.[1]?.trim();
}

/** An injected 5xx for this route, from `faults.failNext` first, then `faults.errorRate`. */
function injectedFault(st: EmulatorState, route: string, app: string | undefined): FlyError | undefined {
  const faults = st.config.faults;
  if (!faultsApply(st, app)) return undefined;
  const status = faults.errorStatus;
  const pending = faults.failNext[route] ?? 0;
  if (pending > 0) {
    faults.failNext[route] = pending - 1;
    return new FlyError(status, STATUS_TEXT[status] ?? "server error");
  }
  const rate = faults.errorRate[route] ?? 0;
  if (rate > 0 && st.random() < rate) return new FlyError(status, STATUS_TEXT[status] ?? "server error");
  return undefined;
}

/** Why the request is refused before reaching its handler, if it is. */
async function rejection(st: EmulatorState, c: Parameters<MiddlewareHandler<FlyEnv>>[0], route: string, template: string | undefined): Promise<FlyError | undefined> {
  if (st.config.latencyMs > 0) await sleep(st.config.latencyMs);
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !st.tokenAccepted(token)) return new FlyError(401, "Authenticate: token validation error");
  c.set("token", token);
  if (!template) return undefined;
  if (st.config.rateLimits) {
    const key = `${route} ${limitScope(pathParams(template, c.req.path))}`;
    if (!st.limiter.take(key, limitFor(route))) return new FlyError(429, "rate limit exceeded");
  }
  return injectedFault(st, route, pathParams(template, c.req.path).app_name);
}

/**
 * What stands in front of every /v1 handler, in order: route resolution, latency, authentication,
 * rate limits, injected faults; and call statistics of whatever was answered.
 */
export function v1Pipeline(st: EmulatorState): MiddlewareHandler<FlyEnv> {
  return async (c, next) => {
    const { route, template } = resolveRoute(c);
    c.set("route", route);
    const app = template ? pathParams(template, c.req.path).app_name : undefined;
    const refused = await rejection(st, c, route, template);
    if (refused) {
      st.stats.record(route, refused.httpStatus, app);
      return c.json(refused.body(), refused.httpStatus);
    }
    await next();
    st.stats.record(route, c.res.status, app);
  };
}

/** Whether injected faults apply to calls on `app` (`faults.apps` empty: every app). */
export function faultsApply(st: EmulatorState, app: string | undefined): boolean {
  const only = st.config.faults.apps;
  return only.length === 0 || (app !== undefined && only.includes(app));
}
