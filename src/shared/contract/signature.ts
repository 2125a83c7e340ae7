/**
 * Relay -> worker request signing (contract: "Authentication of worker requests").
 * Header `X-Machinelet-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<METHOD>.<path+query>.<body>")>`.
 */
export const SIGNATURE_HEADER = "x-machinelet-signature";
export const SIGNATURE_WINDOW_S = 300;

const encoder = new TextEncoder();

/**
 * The last secret's imported key, per usage: every request is signed or checked with the same
 * secret, and importing it each time was a visible share of the relay's CPU under load. One entry,
 * so a rotated secret replaces the old key instead of piling up.
 */
const lastKey: Partial<Record<"sign" | "verify", { secret: string; key: Promise<CryptoKey> }>> = {};

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  const cached = lastKey[usage];
  if (cached?.secret === secret) return cached.key;
  const key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
  lastKey[usage] = { secret, key };
  return key;
}

const signedPayload = (t: number, method: string, pathWithQuery: string, body: string) =>
  encoder.encode(`${t}.${method.toUpperCase()}.${pathWithQuery}.${body}`);

export async function signRequest(secret: string, method: string, pathWithQuery: string, body: string, nowS = Math.floor(Date.now() / 1000)): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), signedPayload(nowS, method, pathWithQuery, body));
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `t=${nowS},v1=${hex}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Verifies in constant time (WebCrypto HMAC verify); never says which byte differed. */
export async function verifySignature(
  secret: string,
  header: string | null | undefined,
  method: string,
  pathWithQuery: string,
  body: string,
  nowS = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
  if (!secret) return { ok: false, reason: "worker has no RELAY_SECRET configured" };
  if (!header) return { ok: false, reason: `missing ${SIGNATURE_HEADER} header` };
  const fields = new Map(header.split(",").map((part) => {
    const i = part.indexOf("=");
    return [part.slice(0, i).trim(), part.slice(i + 1).trim()] as const;
  }));
  const tText = fields.get("t");
  const v1 = fields.get("v1");
  if (!tText || !/^\d{1,12}$/.test(tText) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) {
    return { ok: false, reason: "malformed signature header: expected t=<unix seconds>,v1=<64 lowercase hex>" };
  }
  const t = Number(tText);
  if (Math.abs(nowS - t) > SIGNATURE_WINDOW_S) return { ok: false, reason: `signature timestamp outside the ${SIGNATURE_WINDOW_S} s window` };
  const mac = new Uint8Array(32);
  for (let i = 0; i < 32; i++) mac[i] = parseInt(v1.slice(i * 2, i * 2 + 2), 16);
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), mac, signedPayload(t, method, pathWithQuery, body));
  return valid ? { ok: true } : { ok: false, reason: "signature mismatch" };
}
