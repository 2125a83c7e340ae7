/**
 * Owner of the `pod_refs` table: which Secrets, ConfigMaps and claims each pod references (by name
 * in its namespace, with the keys it uses; key NULL: every key), and which Fly app secrets its
 * stored machine config reads (kind `FlySecret`). It is an index kept by PodStore's transitions,
 * so an object change finds its pods, and the syncs their demand, without parsing every pod.
 *
 * A pod's own references are recorded once, when it is admitted: Kubernetes refuses any change to
 * a pod's env, envFrom and volumes after creation (only image, activeDeadlineSeconds, tolerations
 * and the grace period may change). Its config's Fly secrets follow every new translation.
 */
import type { MachineConfig } from "../../../machines/machine-config";
import type { Pod } from "../../../shared/k8s";
import { flySecretNamesIn, podReferences, type KeyUse } from "../../translate/pod-references";
import { BATCH, execBatched } from "./json-batches";
import { PodRecord, type PodRow } from "./pod-record";

export type ReferencedKind = "Secret" | "ConfigMap" | "PersistentVolumeClaim";
type Ref = [kind: ReferencedKind | "FlySecret", name: string, key: string | null];
/** One row of the index. */
export interface RefRow {
  uid: string;
  namespace: string;
  kind: ReferencedKind | "FlySecret";
  name: string;
  key: string | null;
}
const rowsOf = (uid: string, namespace: string, refs: Ref[]): RefRow[] => refs.map(([kind, name, key]) => ({ uid, namespace, kind, name, key }));

/** A runnable pod: it wants to run and nothing made it fail for good (what an object change may revise). */
const RUNNABLE = "p.desired = 'run' AND p.terminal = 0";

function specRefs(pod: Pod): Ref[] {
  const refs = podReferences(pod);
  const keyed = (kind: ReferencedKind, map: Map<string, KeyUse>): Ref[] =>
    [...map].flatMap(([name, keys]) => (keys === "all" ? [[kind, name, null] as Ref] : [...keys].map((k): Ref => [kind, name, k])));
  return [...keyed("Secret", refs.secrets), ...keyed("ConfigMap", refs.configMaps), ...[...refs.claims].map((name): Ref => ["PersistentVolumeClaim", name, null])];
}

const configRefs = (config: unknown): Ref[] => (config ? [...flySecretNamesIn(config as MachineConfig)].map((name): Ref => ["FlySecret", name, null]) : []);

export class PodRefStore {
  constructor(private readonly sql: SqlStorage) {}

  // ---- kept by PodStore's transitions

  /** The rows that index a pod being admitted: its references and its config's Fly secrets (for `insert`). */
  admittedRows(uid: string, namespace: string, pod: Pod, config: unknown): RefRow[] {
    return rowsOf(uid, namespace, [...specRefs(pod), ...configRefs(config)]);
  }

  /** A new translation: the Fly secrets its config reads replace those recorded. */
  configChanged(uid: string, namespace: string, config: unknown): void {
    this.sql.exec("DELETE FROM pod_refs WHERE uid = ? AND kind = 'FlySecret'", uid);
    this.insert(rowsOf(uid, namespace, configRefs(config)));
  }

  forget(uid: string): void {
    this.sql.exec("DELETE FROM pod_refs WHERE uid = ?", uid);
  }

  /** Indexes pods stored before this table existed (the migration that made it). */
  rebuild(pods: Iterable<{ uid: string; namespace: string; pod: Pod; config: unknown }>): void {
    this.sql.exec("DELETE FROM pod_refs");
    this.insert([...pods].flatMap((p) => this.admittedRows(p.uid, p.namespace, p.pod, p.config)));
  }

  // ---- reads

  /** The runnable pods that reference `kind` `namespace/name`. */
  runnableReferencing(kind: ReferencedKind, namespace: string, name: string): PodRecord[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT p.* FROM pods AS p WHERE ${RUNNABLE} AND p.uid IN (SELECT uid FROM pod_refs WHERE kind = ? AND namespace = ? AND name = ?)`,
        kind, namespace, name,
      )
      .toArray()
      .map((r) => new PodRecord(r as unknown as PodRow));
  }

  /** Whether a runnable pod references `kind` `namespace/name`. */
  anyRunnableReferencing(kind: ReferencedKind, namespace: string, name: string): boolean {
    return (
      this.sql.exec(`SELECT 1 FROM pod_refs AS r JOIN pods AS p ON p.uid = r.uid WHERE r.kind = ? AND r.namespace = ? AND r.name = ? AND ${RUNNABLE} LIMIT 1`, kind, namespace, name).toArray().length > 0
    );
  }

  /** `namespace\0name` -> the keys runnable pods use, for every Secret they reference. */
  secretKeysInUse(): Map<string, KeyUse> {
    const out = new Map<string, KeyUse>();
    for (const r of this.sql.exec<{ namespace: string; name: string; key: string | null }>(
      `SELECT DISTINCT r.namespace, r.name, r.key FROM pod_refs AS r JOIN pods AS p ON p.uid = r.uid WHERE r.kind = 'Secret' AND ${RUNNABLE}`,
    )) {
      const ref = `${r.namespace}\u0000${r.name}`;
      const have = out.get(ref);
      if (have === "all") continue;
      out.set(ref, r.key === null ? "all" : new Set([...(have ?? []), r.key]));
    }
    return out;
  }

  /** Fly secret names the stored configs of any pod read (a machine may still boot with them). */
  flySecretsInConfigs(): Set<string> {
    return new Set(this.sql.exec<{ name: string }>("SELECT DISTINCT name FROM pod_refs WHERE kind = 'FlySecret'").toArray().map((r) => r.name));
  }

  /** Each claim runnable pods mount, with those pods' UIDs in admission order. */
  claimsInUse(): { namespace: string; name: string; users: string[] }[] {
    const out = new Map<string, { namespace: string; name: string; users: string[] }>();
    for (const r of this.sql.exec<{ namespace: string; name: string; uid: string }>(
      `SELECT r.namespace, r.name, r.uid FROM pod_refs AS r JOIN pods AS p ON p.uid = r.uid
       WHERE r.kind = 'PersistentVolumeClaim' AND ${RUNNABLE} ORDER BY p.rowid`,
    )) {
      const key = `${r.namespace}\u0000${r.name}`;
      const entry = out.get(key) ?? { namespace: r.namespace, name: r.name, users: [] };
      entry.users.push(r.uid);
      out.set(key, entry);
    }
    return [...out.values()];
  }

  /** Adds `rows` to the index: one statement per batch (a pod has a few, a snapshot thousands). */
  insert(rows: readonly RefRow[]): void {
    if (rows.length === 1) {
      const r = rows[0]!;
      this.sql.exec("INSERT INTO pod_refs (uid, namespace, kind, name, key) VALUES (?, ?, ?, ?, ?)", r.uid, r.namespace, r.kind, r.name, r.key);
    } else if (rows.length > 1) {
      execBatched(
        this.sql,
        `${BATCH} INSERT INTO pod_refs (uid, namespace, kind, name, key)
         SELECT j.value ->> '$.uid', j.value ->> '$.namespace', j.value ->> '$.kind', j.value ->> '$.name', j.value ->> '$.key' FROM j ORDER BY j.key`,
        rows,
      );
    }
  }
}
