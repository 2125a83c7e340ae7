import { createRemoteJWKSet, jwtVerify, errors, type JWTVerifyGetKey } from "jose";

/** Header Cloudflare Access adds to every request it lets through to the Worker. */
export const ACCESS_JWT_HEADER = "cf-access-jwt-assertion";

export interface AccessSettings {
  /** Issuer: `https://<team>.cloudflareaccess.com` (the team domain). */
  issuer: string;
  /** The Access application's AUD tag. */
  audience: string;
}

export type AccessCheck = { ok: true; subject: string } | { ok: false; reason: string };

/**
 * Access settings from the worker's vars, or undefined when Access is not configured. Throws when
 * only half is set, or the team domain is not https (plain http only for loopback, where tests serve keys).
 */
export function accessSettings(env: Pick<Env, "ACCESS_TEAM_DOMAIN" | "ACCESS_AUD">): AccessSettings | undefined {
  const domain = env.ACCESS_TEAM_DOMAIN?.trim();
  const audience = env.ACCESS_AUD?.trim();
  if (!domain && !audience) return undefined;
  if (!domain || !audience) throw new Error("Cloudflare Access needs both ACCESS_TEAM_DOMAIN and ACCESS_AUD");
  const url = new URL(/^https?:\/\//.test(domain) ? domain : `https://${domain}`);
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost";
  if (url.protocol !== "https:" && !loopback) throw new Error("ACCESS_TEAM_DOMAIN must be an https origin, e.g. https://myteam.cloudflareaccess.com");
  return { issuer: url.origin, audience };
}

// One key set per issuer and isolate: jose caches the keys and refetches on an unknown `kid`, so
// a key rotation by Access is followed without a deploy.
const keySets = new Map<string, JWTVerifyGetKey>();

function keySet(issuer: string): JWTVerifyGetKey {
  let keys = keySets.get(issuer);
  if (!keys) {
    keys = createRemoteJWKSet(new URL("/cdn-cgi/access/certs", issuer));
    keySets.set(issuer, keys);
  }
  return keys;
}

/** Verifies an Access JWT: RS256 signature by the team's current keys, `aud`, `iss`, `exp`/`nbf`. */
export async function verifyAccessJwt(token: string, settings: AccessSettings, keys: JWTVerifyGetKey = keySet(settings.issuer)): Promise<AccessCheck> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ["RS256"],
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ["exp", "sub"],
    });
    return { ok: true, subject: typeof payload.email === "string" ? payload.email : payload.sub! };
  } catch (e) {
    return { ok: false, reason: `Access token refused: ${reasonOf(e)}` };
  }
}

function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return "expired";
  if (e instanceof errors.JWTClaimValidationFailed) return `claim ${e.claim} is not valid`;
  if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey) return "not signed by the team's keys";
  if (e instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed (RS256 only)";
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return "team keys unavailable";
  if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) return "malformed token";
  return e instanceof Error ? e.message : String(e);
}
