import type { PodStatus } from "../../shared/k8s";
import { parseQuantity } from "../../shared/k8s/quantity";
import { claimNamesOf, secretNamesOf, selects } from "../ops/pod-references";
import type { BudgetQueueView, ClusterStatusView, PodRowView, ServiceView, SecretUseView, SpareTemplateView, VolumeView } from "../ops/status-view";
import { podRowFromStatus } from "../ops/pod-row";
import type { ClusterState, PodRecord } from "./state";

const MAX_RETRIES_SHOWN = 100;

export interface ViewInputs {
  cluster: string;
  app: { name: string; ready: boolean; error: string | null };
  state: Pick<ClusterState, "pods" | "work" | "objects" | "ops" | "claimVolumes" | "volumeOrphans" | "spares">;
  /** In-memory budget reservations `${uid}:${action}` -> when the slot opens. */
  reservations: ReadonlyMap<string, number>;
  now: number;
}

/** The status page's view of one cluster, read from its stores (names only, never secret data). */
export function buildStatusView(i: ViewInputs): ClusterStatusView {
  const records = i.state.pods.all().sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const byUid = new Map(records.map((r) => [r.uid, r]));
  return {
    cluster: i.cluster,
    generatedAt: new Date(i.now).toISOString(),
    app: i.app,
    pods: records.map(podRow),
    waiting: {
      budgets: budgetQueues(i.reservations, i.now),
      retries: i.state.work.retrying(MAX_RETRIES_SHOWN).map((w) => {
        const r = byUid.get(w.uid);
        return { uid: w.uid, namespace: r?.namespace ?? "", pod: r?.name ?? w.uid, attempts: w.attempts, nextAttemptAt: new Date(w.dueAt).toISOString(), lastError: w.lastError ?? "" };
      }),
    },
    passes: i.state.ops.passes(),
    decisions: i.state.ops.decisions(),
    ...resources(i.state.objects, i.state.claimVolumes, records),
    orphanVolumes: i.state.volumeOrphans.all().map((o) => ({ volumeId: o.volumeId, name: o.name, claimUid: o.claimUid, disposition: o.disposition, machine: o.machineId, since: new Date(o.firstSeenAt).toISOString() })),
    spares: spareTemplates(i.state.spares),
  };
}

function spareTemplates(spares: ClusterState["spares"]): SpareTemplateView[] {
  const all = spares.all();
  return spares.templates().map((t) => {
    const mine = all.filter((s) => s.key === t.key);
    const ready = mine.filter((s) => s.state === "ready").length;
    return { template: t.template, key: t.key, count: t.count, ttlS: t.ttlMs / 1000, ready, moving: mine.length - ready, ...t.tally };
  });
}

function podRow(rec: PodRecord): PodRowView {
  const fromStatus = podRowFromStatus(rec.uid, rec.namespace, rec.name, rec.status ?? ({} as PodStatus));
  return {
    ...fromStatus,
    machineId: rec.machineId ?? fromStatus.machineId,
    machineState: rec.machineState ?? rec.lastMachine?.state ?? null,
    region: rec.lastMachine?.region ?? rec.region,
    problem: rec.problem ? { reason: rec.problem.reason, message: rec.problem.message } : fromStatus.problem,
    createdAt: rec.pod.metadata.creationTimestamp ?? fromStatus.createdAt,
  };
}

function budgetQueues(reservations: ReadonlyMap<string, number>, now: number): BudgetQueueView[] {
  const byAction = new Map<string, { waiting: number; next: number }>();
  for (const [key, at] of reservations) {
    if (at <= now) continue;
    const action = key.slice(key.lastIndexOf(":") + 1);
    const q = byAction.get(action) ?? { waiting: 0, next: Infinity };
    byAction.set(action, { waiting: q.waiting + 1, next: Math.min(q.next, at) });
  }
  return [...byAction].sort().map(([action, q]) => ({ action, waiting: q.waiting, nextSlotAt: new Date(q.next).toISOString() }));
}

type ServiceObject = { metadata?: { annotations?: Record<string, string> }; spec?: { type?: string; selector?: Record<string, string> | null } };
type ClaimObject = { spec?: { resources?: { requests?: { storage?: string } } } };

function resources(objects: ClusterState["objects"], claims: ClusterState["claimVolumes"], pods: PodRecord[]): Pick<ClusterStatusView, "services" | "secrets" | "volumes"> {
  const services: ServiceView[] = objects.uidsOfKind("Service").flatMap((uid) => {
    const o = objects.get(uid);
    if (!o) return [];
    const svc = o.object as ServiceObject;
    const backends = pods.filter((p) => p.namespace === o.namespace && p.desired === "run" && selects(svc.spec?.selector, p.pod.metadata.labels));
    const ready = backends.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
    return [{ namespace: o.namespace, name: o.name, type: svc.spec?.type ?? "ClusterIP", address: svc.metadata?.annotations?.["machinelet.fly.io/address"] ?? null, backends: backends.length, ready }];
  });
  const secretUse = new Map<string, SecretUseView>();
  for (const p of pods) {
    for (const name of secretNamesOf(p.pod)) {
      const key = `${p.namespace}/${name}`;
      const u = secretUse.get(key) ?? { namespace: p.namespace, name, pods: 0 };
      secretUse.set(key, { ...u, pods: u.pods + 1 });
    }
  }
  const volumes: VolumeView[] = objects.uidsOfKind("PersistentVolumeClaim").flatMap((uid) => {
    const o = objects.get(uid);
    if (!o) return [];
    const size = (o.object as ClaimObject).spec?.resources?.requests?.storage;
    const user = pods.find((p) => p.namespace === o.namespace && claimNamesOf(p.pod).includes(o.name));
    const volume = claims.get(uid);
    return [{ namespace: o.namespace, claim: o.name, volumeId: volume?.volumeId ?? null, sizeGb: volume?.sizeGb ?? (size ? gigabytes(size) : null), region: volume?.region ?? user?.region ?? null, pod: user?.name ?? null }];
  });
  return { services, secrets: [...secretUse.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)), volumes };
}

/** Fly volumes are sized in whole GB: a claim's request, rounded up. */
function gigabytes(quantity: string): number | null {
  try {
    return Math.max(1, Math.ceil(parseQuantity(quantity) / 1e9));
  } catch {
    return null;
  }
}
