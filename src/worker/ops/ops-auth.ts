import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ACCESS_JWT_HEADER, accessSettings, verifyAccessJwt, type AccessSettings } from "./access-jwt";
import { bearerToken, hasSession, isStatusToken } from "./status-token";

export type OpsVars = { operator: string };

/** Why a request was refused; `login` when a browser may sign in with the token form. */
export interface Denial {
  status: 401 | 500;
  reason: string;
  login: boolean;
}

/**
 * Guards `/ui/*` and `/metrics` (contract: Bearer STATUS_TOKEN, the session cookie the page
 * sets, or a valid Cloudflare Access JWT when Access is configured). Nothing behind it runs
 * unless one of them checks out; `deny` renders the refusal and carries no cluster data.
 */
export const opsAuth = (deny: (c: Context, denial: Denial) => Response | Promise<Response>) =>
  createMiddleware<{ Bindings: Env; Variables: OpsVars }>(async (c, next) => {
    c.header("cache-control", "no-store");
    let access: AccessSettings | undefined;
    try {
      access = accessSettings(c.env);
    } catch (e) {
      return deny(c, { status: 500, reason: `status page misconfigured: ${(e as Error).message}`, login: false });
    }
    if (!access && !c.env.STATUS_TOKEN) {
      return deny(c, { status: 401, reason: "status page disabled: set the STATUS_TOKEN secret or Cloudflare Access (ACCESS_TEAM_DOMAIN, ACCESS_AUD)", login: false });
    }
    const jwt = c.req.header(ACCESS_JWT_HEADER);
    if (access && jwt) {
      const check = await verifyAccessJwt(jwt, access);
      if (!check.ok) return deny(c, { status: 401, reason: check.reason, login: false });
      c.set("operator", check.subject);
      return next();
    }
    const bearer = bearerToken(c.req.header("authorization"));
    if (bearer !== undefined) {
      if (!(await isStatusToken(bearer, c.env.STATUS_TOKEN))) return deny(c, { status: 401, reason: "wrong status token", login: true });
      c.set("operator", "status-token");
      return next();
    }
    if (await hasSession(c, c.env.STATUS_TOKEN)) {
      c.set("operator", "status-token");
      return next();
    }
    c.header("www-authenticate", 'Bearer realm="machinelet"');
    return deny(c, { status: 401, reason: "credentials required: Authorization: Bearer <STATUS_TOKEN>, a session, or Cloudflare Access", login: Boolean(c.env.STATUS_TOKEN) });
  });
