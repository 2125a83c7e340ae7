/**
 * Which secrets may sign for a cluster. A cluster with a Worker secret of its own,
 * `RELAY_SECRET_<CLUSTER>` (the name upper-cased, `-` as `_`: cluster `prod-eu` reads
 * `RELAY_SECRET_PROD_EU`), accepts only those: a relay of another cluster cannot write its state.
 * The value holds one secret, or two separated by whitespace while a rotation overlaps. A cluster
 * without one falls back to the shared `RELAY_SECRET` (one-cluster deployments, staging).
 */
import { verifySignature, type SignatureCheck } from "../../shared/contract";

export interface RelaySecrets {
  secrets: string[];
  /** the Worker secret they come from, for error messages (never the values) */
  source: string;
}

export const clusterSecretName = (cluster: string): string => `RELAY_SECRET_${cluster.toUpperCase().replaceAll("-", "_")}`;

export function relaySecretsFor(env: Env, cluster: string): RelaySecrets {
  const name = clusterSecretName(cluster);
  const own = (env as unknown as Record<string, unknown>)[name];
  if (typeof own === "string" && own.trim() !== "") return { secrets: own.trim().split(/\s+/), source: name };
  return { secrets: env.RELAY_SECRET ? [env.RELAY_SECRET] : [], source: "RELAY_SECRET" };
}

/** Valid when any of the cluster's secrets verifies the signature; every one is checked, in constant time each. */
export async function verifyClusterSignature(env: Env, cluster: string, header: string | undefined, method: string, pathWithQuery: string, body: string): Promise<SignatureCheck> {
  const { secrets, source } = relaySecretsFor(env, cluster);
  if (secrets.length === 0) return { ok: false, reason: `worker has no relay secret for cluster ${cluster} (neither ${clusterSecretName(cluster)} nor RELAY_SECRET is set)` };
  const checks = await Promise.all(secrets.map((secret) => verifySignature(secret, header, method, pathWithQuery, body)));
  const ok = checks.find((c) => c.ok);
  if (ok) return ok;
  const failed = checks[0] as Extract<SignatureCheck, { ok: false }>;
  return { ok: false, reason: `${failed.reason} (checked against ${source})` };
}
