import { migrate } from "./migrations";
import { MetaStore } from "./meta-store";
import { ObjectStore } from "./object-store";
import { OpsStore } from "./ops-store";
import { OrphanStore } from "./orphan-store";
import { PodStore } from "./pod-store";
import { StatusFeed } from "./status-feed";
import { WorkQueue } from "./work-queue";

export { PodRecord, type Desired, type DesiredView, type NewPod, type ReconcileEntry, type SpecRevision } from "./pod-store";
export type { WorkItem } from "./work-queue";
export type { Meta } from "./meta-store";
export type { CounterSample } from "./ops-store";
export { PodStore, WorkQueue, ObjectStore, OrphanStore, MetaStore, StatusFeed, OpsStore };

/** Every store of one cluster's SQLite storage, on the newest schema. The only way in to its tables. */
export interface ClusterState {
  pods: PodStore;
  work: WorkQueue;
  objects: ObjectStore;
  orphans: OrphanStore;
  meta: MetaStore;
  feed: StatusFeed;
  ops: OpsStore;
}

export function openClusterState(storage: DurableObjectStorage): ClusterState {
  migrate(storage);
  const sql = storage.sql;
  return { pods: new PodStore(sql), work: new WorkQueue(sql), objects: new ObjectStore(sql), orphans: new OrphanStore(sql), meta: new MetaStore(sql), feed: new StatusFeed(sql), ops: new OpsStore(sql) };
}
