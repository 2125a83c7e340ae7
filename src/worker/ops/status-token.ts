import type { Context } from "hono";
import { getSignedCookie, setSignedCookie, deleteCookie } from "hono/cookie";

export const SESSION_COOKIE = "machinelet_session";
const SESSION_TTL_S = 12 * 3600;
const encoder = new TextEncoder();

/** Compares a presented token with STATUS_TOKEN in constant time (both hashed first, so lengths never leak). */
export async function isStatusToken(presented: string, statusToken: string | undefined): Promise<boolean> {
  if (!statusToken) return false;
  const [a, b] = await Promise.all([presented, statusToken].map((s) => crypto.subtle.digest("SHA-256", encoder.encode(s))));
  return crypto.subtle.timingSafeEqual(a!, b!);
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

// The session cookie holds only its expiry, signed (HMAC-SHA256) with a key derived from STATUS_TOKEN:
// the token never sits in the browser, and rotating the token ends every session.
const sessionKey = (statusToken: string) => `machinelet-session:${statusToken}`;

export async function startSession(c: Context, statusToken: string): Promise<void> {
  const expires = Math.floor(Date.now() / 1000) + SESSION_TTL_S;
  await setSignedCookie(c, SESSION_COOKIE, String(expires), sessionKey(statusToken), {
    path: "/",
    httpOnly: true,
    secure: new URL(c.req.url).protocol === "https:",
    sameSite: "Strict",
    maxAge: SESSION_TTL_S,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

/** True for a session cookie this worker signed with the current STATUS_TOKEN that has not expired. */
export async function hasSession(c: Context, statusToken: string | undefined): Promise<boolean> {
  if (!statusToken) return false;
  const value = await getSignedCookie(c, sessionKey(statusToken), SESSION_COOKIE);
  return typeof value === "string" && /^\d{1,12}$/.test(value) && Number(value) > Date.now() / 1000;
}
