import { createHash, randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

export function randomHex(chars: number): string {
  return randomBytes(Math.ceil(chars / 2)).toString("hex").slice(0, chars);
}

function randomFrom(alphabet: string, chars: number): string {
  const bytes = randomBytes(chars);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** Machine ids are 14 lowercase hex characters, like `1857156b526dd8`. */
export const newMachineId = (): string => randomHex(14);
/** Lease nonces are 12 lowercase hex characters, like `5c35f65c9f95`. */
export const newLeaseNonce = (): string => randomHex(12);
/** App ids look like `z4k69dxd8r31p5mx`. */
export const newAppId = (): string => randomFrom(BASE36, 16);
/** Volume ids look like `vol_4ylkpgz5zzmr8pkv`. */
export const newVolumeId = (): string => `vol_${randomFrom(BASE36, 16)}`;
/** Volume zones look like `b6a7`. */
export const newZone = (): string => randomHex(4);

function encodeBase32(value: bigint, length: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[Number(v & 31n)] + out;
    v >>= 5n;
  }
  return out;
}

/**
 * ULID factory (26 Crockford base32 chars: 48-bit ms time + 80 random bits). Ids from one factory
 * are strictly increasing even within one millisecond, so comparing two ids as strings orders them
 * in creation order: `from_event_id` relies on it.
 */
export function ulidFactory(now: () => number): () => string {
  let lastTime = -1;
  let lastRandom = 0n;
  return () => {
    const t = Math.max(now(), lastTime);
    if (t === lastTime) {
      lastRandom += 1n;
    } else {
      lastTime = t;
      lastRandom = BigInt(`0x${randomBytes(10).toString("hex")}`) >> 1n; // leave room to increment
    }
    return encodeBase32(BigInt(t), 10) + encodeBase32(lastRandom, 16);
  };
}

/** A stable, uuid-shaped lease owner per token, like Fly's `<uuid>@tokens.fly.io`. */
export function tokenOwner(token: string): string {
  const h = createHash("sha256").update(token).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}@tokens.fly.io`;
}

/** Short content digest used for secrets and image refs. */
export const digestOf = (value: string): string => createHash("sha256").update(value).digest("hex");

const ADJECTIVES = ["aged", "bold", "calm", "damp", "eager", "faint", "green", "hidden", "icy", "jolly", "lively", "misty", "noisy", "odd", "proud", "quiet", "rough", "shy", "tiny", "wild"];
const NOUNS = ["wind", "thunder", "river", "meadow", "forest", "dawn", "field", "frost", "glade", "hill", "lake", "moon", "night", "pine", "rain", "sea", "snow", "star", "sun", "wave"];

/** Default machine names look like `aged-wind-2649`. */
export function newMachineName(): string {
  const b = randomBytes(4);
  const num = 1000 + (b.readUInt16BE(2) % 9000);
  return `${ADJECTIVES[b.readUInt8(0) % ADJECTIVES.length]}-${NOUNS[b.readUInt8(1) % NOUNS.length]}-${num}`;
}
