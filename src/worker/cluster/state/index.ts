import { migrate, POD_REFS_VERSION } from "./migrations";
import { AppPortStore } from "./app-port-store";
import { ClaimVolumeStore } from "./claim-volume-store";
import { FlySecretStore } from "./fly-secret-store";
import { MetaStore } from "./meta-store";
import { ObjectStore } from "./object-store";
import { OpsStore } from "./ops-store";
import { OrphanStore } from "./orphan-store";
import { PodStore } from "./pod-store";
import { ServiceAppStore } from "./service-app-store";
import { SpareStore } from "./spare-store";
import { StatusFeed } from "./status-feed";
import { VolumeOrphanStore } from "./volume-orphan-store";
import { WorkQueue } from "./work-queue";

export { PodRecord, type Desired, type DesiredView, type Lookup, type NewPod, type ReconcileEntry, type SpecRevision, type StatusToStore } from "./pod-store";
export type { WorkItem } from "./work-queue";
export type { Meta } from "./meta-store";
export type { CounterSample } from "./ops-store";
export type { WrittenKey } from "./fly-secret-store";
export type { ClaimVolume } from "./claim-volume-store";
export { TOMBSTONE_RETENTION_MS } from "./tombstones";
export type { OrphanDisposition, VolumeOrphan } from "./volume-orphan-store";
export type { ServiceApp } from "./service-app-store";
export type { Spare, SpareTemplate, SpareState, TallyEvent } from "./spare-store";
export { PodStore, WorkQueue, ObjectStore, OrphanStore, MetaStore, StatusFeed, FlySecretStore, AppPortStore, ClaimVolumeStore, VolumeOrphanStore, OpsStore, ServiceAppStore, SpareStore };

/** Every store of one cluster's SQLite storage, on the newest schema. The only way in to its tables. */
export interface ClusterState {
  pods: PodStore;
  work: WorkQueue;
  objects: ObjectStore;
  orphans: OrphanStore;
  meta: MetaStore;
  feed: StatusFeed;
  flySecrets: FlySecretStore;
  appPorts: AppPortStore;
  claimVolumes: ClaimVolumeStore;
  volumeOrphans: VolumeOrphanStore;
  ops: OpsStore;
  serviceApps: ServiceAppStore;
  spares: SpareStore;
}

/**
 * Runs `fn` (synchronous, inside the caller's transaction) with the pods it admits, the due work
 * it schedules and the feed entries it appends written once each, at its end: a snapshot of
 * 10,000 pods makes a few statements per 500 pods instead of 30,000.
 */
export function withBatchedWrites<T>(state: Pick<ClusterState, "pods" | "work" | "feed">, fn: () => T): T {
  return state.work.batch(() => state.feed.batch(() => state.pods.batchAdmissions(fn)));
}

/**
 * The SQL handle every store is given: each statement first writes the admissions PodStore holds
 * back, so whatever runs it (a read of pods, a join with them, a write by UID) sees every pod
 * admitted before it, as if each admission had been written at once. Only `exec` is used by the stores.
 */
function admissionsFirst(sql: SqlStorage, flush: () => void): SqlStorage {
  const exec: SqlStorage["exec"] = (query, ...bindings) => {
    flush();
    return sql.exec(query, ...bindings);
  };
  return { exec } as unknown as SqlStorage;
}

export function openClusterState(storage: DurableObjectStorage): ClusterState {
  const from = migrate(storage);
  let pods: PodStore | undefined;
  const sql = admissionsFirst(storage.sql, () => pods?.flushAdmissions());
  pods = new PodStore(sql);
  if (from > 0 && from < POD_REFS_VERSION) storage.transactionSync(() => pods.refs.rebuild(pods.all()));
  return {
    pods,
    work: new WorkQueue(sql),
    objects: new ObjectStore(sql),
    orphans: new OrphanStore(sql),
    meta: new MetaStore(sql),
    feed: new StatusFeed(sql),
    flySecrets: new FlySecretStore(sql),
    appPorts: new AppPortStore(sql),
    claimVolumes: new ClaimVolumeStore(sql),
    volumeOrphans: new VolumeOrphanStore(sql),
    ops: new OpsStore(sql),
    serviceApps: new ServiceAppStore(sql),
    spares: new SpareStore(sql),
  };
}
