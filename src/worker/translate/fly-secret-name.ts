/** The Fly app secrets that hold one key of a Kubernetes Secret. */
export interface FlySecretNames {
  /** holds the decoded value; environment variables read it (`secrets[].name`) */
  env: string;
  /** holds the value base64-encoded, as `files[].secret_name` requires (S `fly.File`) */
  file: string;
}

/**
 * Fly app secret names for key `key` of Secret `namespace/name`:
 * `MLS_<namespace>__<name>__<key>` (value) and `MLB_<namespace>__<name>__<key>` (base64), where each
 * part keeps `a-z` and `0-9` and writes every other character as `_` plus its two-digit uppercase hex
 * code (`-` → `_2D`, `.` → `_2E`, `_` → `_5F`, `A` → `_41`).
 *
 * Why this shape: Fly names are flat (`[A-Za-z_][A-Za-z0-9_]*`); every escape is `_` followed by
 * two hex digits, so `__` only ever separates parts, and the name decodes back to its triple
 * (collision-free). Uppercase letters are escaped too, so two names never differ only by case,
 * should Fly fold case. The prefixes keep machinelet's secrets apart from the app's own.
 */
export function secretKeyToFlySecretNames(namespace: string, name: string, key: string): FlySecretNames {
  const tail = `${escapePart(namespace)}__${escapePart(name)}__${escapePart(key)}`;
  return { env: `MLS_${tail}`, file: `MLB_${tail}` };
}

/** The (namespace, name, key) a machinelet Fly secret name encodes, or undefined for any other name. */
export function flySecretNameToSecretKey(flyName: string): { namespace: string; name: string; key: string; variant: "env" | "file" } | undefined {
  const m = /^ML([SB])_(.+)$/.exec(flyName);
  if (!m) return undefined;
  const parts = m[2]!.split("__");
  if (parts.length !== 3) return undefined;
  const decoded = parts.map(unescapePart);
  if (decoded.some((p) => p === undefined || p === "")) return undefined;
  const [namespace, name, key] = decoded as [string, string, string];
  return { namespace, name, key, variant: m[1] === "S" ? "env" : "file" };
}

function escapePart(part: string): string {
  let out = "";
  for (const ch of part) {
    const code = ch.codePointAt(0)!;
    // Kubernetes names and keys are ASCII ([-._a-zA-Z0-9]); anything wider still escapes injectively per UTF-8 byte.
    out += /[a-z0-9]/.test(ch) ? ch : [...new TextEncoder().encode(String.fromCodePoint(code))].map((b) => `_${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  }
  return out;
}

function unescapePart(part: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < part.length; i++) {
    const ch = part[i]!;
    if (ch === "_") {
      const hex = part.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (/[a-z0-9]/.test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
