import type { Secret } from "../../shared/k8s";
import { secretKeyToFlySecretNames } from "./fly-secret-name";

/**
 * The Fly app secret values (`POST /v1/apps/{app}/secrets` `values`) that hold the given keys of a
 * Kubernetes Secret (default: all of them): for each key, its decoded value (read by environment
 * variables) and its base64 value (read by `files[].secret_name`). Keys the Secret lacks are left out.
 * A value that is not UTF-8 reaches the environment with U+FFFD in place of its invalid bytes (Fly
 * secrets are strings); files get the bytes exactly.
 */
export function secretToFlySecretValues(secret: Secret, keys: Iterable<string> = Object.keys(secret.data ?? {})): Record<string, string> {
  const { namespace, name } = secret.metadata;
  const out: Record<string, string> = {};
  for (const key of keys) {
    const b64 = secret.data?.[key];
    if (b64 === undefined) continue;
    const names = secretKeyToFlySecretNames(namespace, name, key);
    out[names.env] = decodeUtf8(b64);
    out[names.file] = b64;
  }
  return out;
}

function decodeUtf8(b64: string): string {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
