import type { EventResult, Outcome, WatchEvent } from "../../shared/contract";
import { parseK8sObject, type Pod } from "../../shared/k8s";
import type { PodRow, PodStore } from "./pod-store";
import { isNewer } from "./resource-version";
import { translatePod } from "./pod-translation";

export type { EventResult, Outcome, WatchEvent };

export const KINDS = ["Pod", "Service", "Secret", "ConfigMap", "PersistentVolumeClaim"] as const;

export interface IntakeContext {
  store: PodStore;
  sql: SqlStorage;
  cluster: string;
  now: number;
  /** A pod's desired state changed: converge it. */
  schedule(uid: string): void;
  /** Recompute and publish the pod's status from its row. */
  refreshStatus(uid: string): void;
}

/** Records one event's desired state. Never throws for a bad event: it is `rejected` with the field that is wrong. */
export function applyEvent(ctx: IntakeContext, event: WatchEvent): EventResult {
  const raw = event.object as { kind?: unknown; metadata?: { uid?: unknown } } | null;
  const kind = typeof raw?.kind === "string" ? raw.kind : "";
  const rawUid = typeof raw?.metadata?.uid === "string" ? raw.metadata.uid : "";
  if (!(KINDS as readonly string[]).includes(kind)) {
    return { uid: rawUid, kind, outcome: "ignored", message: `kind ${JSON.stringify(kind)} is not one machinelet maps (${KINDS.join(", ")})` };
  }
  if (kind === "Pod" && isKnownPodCopy(ctx, event, rawUid)) return { uid: rawUid, kind, outcome: "unchanged" };
  const parsed = parseK8sObject(kind as (typeof KINDS)[number], event.object);
  if (!parsed.ok) return { uid: rawUid, kind, outcome: "rejected", message: parsed.message };
  if (kind === "Pod") return applyPodEvent(ctx, event.type, parsed.object as Pod);
  return applyOtherEvent(ctx, kind, event.type, parsed.object as { metadata: { uid: string; name: string; namespace?: string; resourceVersion: string } });
}

/**
 * A repeat or an older copy of a pod event already applied: answered before any parsing, since
 * redelivery is the common case of at-least-once intake. DELETED always goes the full way.
 */
function isKnownPodCopy(ctx: IntakeContext, event: WatchEvent, uid: string): boolean {
  const rv = (event.object as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
  if (event.type === "DELETED" || !uid || typeof rv !== "string") return false;
  const stored = ctx.store.resourceVersionOf(uid);
  return stored !== undefined && !isNewer(rv, stored);
}

function applyPodEvent(ctx: IntakeContext, type: WatchEvent["type"], pod: Pod): EventResult {
  const { uid, resourceVersion } = pod.metadata;
  const result = (outcome: Outcome, message?: string): EventResult => ({ uid, kind: "Pod", outcome, ...(message ? { message } : {}) });
  if (ctx.store.isTombstoned(uid)) return result("unchanged", "pod UID was deleted; a deleted pod never comes back");
  const row = ctx.store.get(uid);

  if (type === "DELETED") {
    if (!row) {
      // Never seen alive (or state was lost): remember the UID so a late copy cannot resurrect it;
      // a machine that carries it anyway is an orphan for the reconcile sweep.
      ctx.store.bury(uid);
      return result("applied");
    }
    if (row.desired === "destroy") return result("unchanged");
    ctx.store.update(uid, { desired: "destroy", resource_version: resourceVersion });
    ctx.schedule(uid);
    return result("applied");
  }

  if (row && !isNewer(resourceVersion, row.resource_version)) return result("unchanged");

  if (pod.metadata.deletionTimestamp) {
    if (!row) {
      ctx.store.bury(uid);
      return result("applied", "pod was already terminating when first seen; no machine is created");
    }
    if (row.desired !== "run") {
      ctx.store.update(uid, { resource_version: resourceVersion });
      return result("unchanged");
    }
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    ctx.store.update(uid, { desired: "delete", grace_s: grace, resource_version: resourceVersion, pod_json: JSON.stringify(pod) });
    ctx.schedule(uid);
    ctx.refreshStatus(uid);
    return result("applied");
  }

  const t = translatePod(pod, ctx.cluster);
  const problem = t.error ? JSON.stringify({ reason: "Unsupported", message: t.error, terminal: true }) : null;
  const message = t.error ? `cannot run as a machine: ${t.error}` : t.unsupported.length ? `not honoured: ${t.unsupported.join("; ")}` : undefined;
  if (!row) {
    const fresh: PodRow = {
      uid,
      namespace: pod.metadata.namespace ?? "default",
      name: pod.metadata.name,
      resource_version: resourceVersion,
      desired: "run",
      pod_json: JSON.stringify(pod),
      config_json: t.config ? JSON.stringify(t.config) : null,
      config_hash: t.configHash,
      region: t.region ?? null,
      machine_name: t.machineName,
      grace_s: pod.spec.terminationGracePeriodSeconds ?? 30,
      machine_id: null,
      machine_version: null,
      applied_hash: null,
      machine_state: null,
      machine_json: null,
      create_intent_at: null,
      stop_requested_at: null,
      problem_json: problem,
      status_json: null,
      updated_at: ctx.now,
      unhonoured_json: t.unsupported.length ? JSON.stringify(t.unsupported) : null,
      observed_digest: null,
    };
    ctx.store.insert(fresh);
    if (!problem) ctx.schedule(uid);
    ctx.refreshStatus(uid);
    return result("applied", message);
  }

  const configChanged = t.configHash !== row.config_hash;
  ctx.store.update(uid, {
    resource_version: resourceVersion,
    pod_json: JSON.stringify(pod),
    grace_s: pod.spec.terminationGracePeriodSeconds ?? 30,
    unhonoured_json: t.unsupported.length ? JSON.stringify(t.unsupported) : null,
    ...(configChanged ? { config_json: t.config ? JSON.stringify(t.config) : null, config_hash: t.configHash, problem_json: problem } : {}),
  });
  if (configChanged && !problem) ctx.schedule(uid);
  ctx.refreshStatus(uid);
  return result("applied", message);
}

/** Services, Secrets, ConfigMaps and PVCs are stored (newest version wins) until their mapping lands. */
function applyOtherEvent(
  ctx: IntakeContext,
  kind: string,
  type: WatchEvent["type"],
  obj: { metadata: { uid: string; name: string; namespace?: string; resourceVersion: string } },
): EventResult {
  const { uid, resourceVersion } = obj.metadata;
  const stored = ctx.sql.exec<{ resource_version: string }>("SELECT resource_version FROM objects WHERE uid = ?", uid).toArray()[0];
  if (type === "DELETED") {
    ctx.sql.exec("DELETE FROM objects WHERE uid = ?", uid);
    return { uid, kind, outcome: stored ? "queued" : "unchanged" };
  }
  if (stored && !isNewer(resourceVersion, stored.resource_version)) return { uid, kind, outcome: "unchanged" };
  ctx.sql.exec(
    `INSERT INTO objects (uid, kind, namespace, name, resource_version, object_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(uid) DO UPDATE SET resource_version = excluded.resource_version, object_json = excluded.object_json, updated_at = excluded.updated_at`,
    uid,
    kind,
    obj.metadata.namespace ?? "",
    obj.metadata.name,
    resourceVersion,
    JSON.stringify(obj),
    ctx.now,
  );
  return { uid, kind, outcome: "queued", message: `${kind} is stored; its mapping to Fly is not implemented yet` };
}
