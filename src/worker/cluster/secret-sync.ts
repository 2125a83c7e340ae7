import type { MachinesClient } from "../../machines/client";
import type { Secret } from "../../shared/k8s";
import { flySecretNameToSecretKey, secretKeyToFlySecretNames } from "../translate/fly-secret-name";
import { secretToFlySecretValues } from "../translate/secret-to-fly-secrets";
import { BudgetWait, paced, type RateBudget } from "./rate-budget";
import type { FlySecretStore, ObjectStore, PodStore, WrittenKey } from "./state";

export interface SecretSyncContext {
  secrets: Pick<MachinesClient, "setSecrets" | "listSecrets">;
  app: string;
  pods: PodStore;
  objects: ObjectStore;
  flySecrets: FlySecretStore;
  budget: RateBudget;
  now(): number;
  /** Also list the app's secrets and remove machinelet-named ones nothing records (the reconcile's sweep). */
  sweep: boolean;
}

export interface SecretSyncResult {
  /** Secrets (`namespace/name`) whose keys were written: their dependents must be re-translated. */
  written: { namespace: string; name: string }[];
  removed: number;
  /** ms to wait for the secrets budget, when the write could not go yet */
  waitMs?: number;
}

type KeyId = Pick<WrittenKey, "namespace" | "secret" | "key">;
const idOf = (k: KeyId) => `${k.namespace}\u0000${k.secret}\u0000${k.key}`;

/**
 * Brings the app's Fly secrets to what the pods need, in one bulk write (`POST /v1/apps/{app}/secrets`):
 * every key a pod references (of a stored Secret) whose value changed since it was written is set;
 * a key no pod references and no stored machine config still names is unset. The version the write
 * returns is recorded per key (`fly_secrets`), which is what pods' `min_secrets_version` comes from.
 * Crash-safe: a write that happened but was not recorded is simply repeated (same values).
 */
export async function syncSecrets(ctx: SecretSyncContext): Promise<SecretSyncResult> {
  const wanted = ctx.pods.refs.secretKeysInUse();
  const inUse = ctx.pods.refs.flySecretsInConfigs();
  const written = new Map(ctx.flySecrets.all().map((w) => [idOf(w), w]));
  const values: Record<string, string | null> = {};
  const toRecord: Omit<WrittenKey, "version">[] = [];
  const secretsWritten = new Map<string, { namespace: string; name: string }>();
  const present = new Set<string>();

  for (const [ref, keys] of wanted) {
    const [namespace, name] = ref.split("\u0000") as [string, string];
    const secret = ctx.objects.find("Secret", namespace, name)?.object as Secret | undefined;
    for (const key of Object.keys(secret?.data ?? {}).filter((k) => keys === "all" || keys.has(k))) {
      const id = { namespace, secret: name, key };
      present.add(idOf(id));
      const flyValues = secretToFlySecretValues(secret!, [key]);
      const digest = await digestOf(flyValues);
      if (written.get(idOf(id))?.digest === digest) continue;
      Object.assign(values, flyValues);
      toRecord.push({ ...id, digest });
      secretsWritten.set(ref, { namespace, name });
    }
  }
  // Unset what no pod references any more, unless a stored machine config still names it.
  const removed: KeyId[] = [];
  for (const w of written.values()) {
    const names = secretKeyToFlySecretNames(w.namespace, w.secret, w.key);
    if (present.has(idOf(w)) || inUse.has(names.env) || inUse.has(names.file)) continue;
    values[names.env] = null;
    values[names.file] = null;
    removed.push(w);
  }
  try {
    if (ctx.sweep) {
      const known = new Set([...written.values()].flatMap((w) => Object.values(secretKeyToFlySecretNames(w.namespace, w.secret, w.key))));
      const { secrets } = await paced(ctx.budget, SYNC, "list_secrets", ctx.app, () => ctx.secrets.listSecrets(ctx.app));
      for (const s of secrets ?? []) {
        const name = s.name ?? "";
        if (flySecretNameToSecretKey(name) && !known.has(name) && !inUse.has(name) && !(name in values)) values[name] = null;
      }
    }
    if (Object.keys(values).length === 0) return { written: [], removed: 0 };
    const { version } = await paced(ctx.budget, SYNC, "set_secrets", ctx.app, () => ctx.secrets.setSecrets(ctx.app, values));
    ctx.flySecrets.recordWrite(toRecord, removed, version ?? 0, ctx.now());
    return { written: [...secretsWritten.values()], removed: removed.length };
  } catch (e) {
    if (e instanceof BudgetWait) return { written: [], removed: 0, waitMs: e.ms };
    throw e;
  }
}

/** The holder of the secret sync's budget slots (one sync runs at a time). */
const SYNC = "secret-sync";

/** A digest of what a key's Fly secrets hold, to tell a changed value; never leaves this object. */
async function digestOf(values: Record<string, string>): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(Object.entries(values).sort()));
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...hash].map((b) => b.toString(16).padStart(2, "0")).join("");
}
