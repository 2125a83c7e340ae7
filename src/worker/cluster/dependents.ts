import type { Service } from "../../shared/k8s";
import { podReferences } from "../translate/pod-references";
import { proxiesTo } from "../translate/service-backends";
import type { TranslateContext } from "../translate/context";
import { translatePod, type TranslatedPod } from "./pod-translation";
import type { ObjectStore, PodRecord, PodStore, SpecRevision } from "./state";
import type { ReferencedKind } from "./state/pod-refs";
import type { StatusPublisher } from "./status-publisher";

export interface DependentsContext {
  pods: PodStore;
  lookups: TranslateContext;
  now: number;
  schedule(uid: string): void;
  status: Pick<StatusPublisher, "refresh">;
}

/** The stored translation of a pod, as a spec revision carries it. */
export const translationOf = (t: TranslatedPod): NonNullable<SpecRevision["translation"]> => ({
  config: t.config,
  configHash: t.configHash,
  minSecretsVersion: t.minSecretsVersion,
  region: t.region,
  problem: t.problem,
});

/**
 * An object changed (arrived, changed, went away, or was written to Fly): re-translate the pods of
 * its namespace that reference it. A pod whose machine config (or secrets version) changes gets
 * it and is converged (a waiting pod starts, a running one is updated: a rotation); a pod that now
 * waits says why. Returns how many pods changed.
 */
export function reviseDependents(ctx: DependentsContext, kind: ReferencedKind, namespace: string, name: string): number {
  let changed = 0;
  for (const rec of ctx.pods.refs.runnableReferencing(kind, namespace, name)) if (retranslate(ctx, rec)) changed++;
  return changed;
}

/**
 * A Service changed or went: re-translate the pods of its namespace it selects, as it was
 * (`before`) or as it is (`after`), since their `services` entries follow it. Other pods are not
 * looked at again.
 */
export function reviseSelected(ctx: DependentsContext, namespace: string, before: Service | undefined, after: Service | undefined): number {
  let changed = 0;
  for (const rec of ctx.pods.runnableIn(namespace)) {
    if (!(before && proxiesTo(before, rec.pod)) && !(after && proxiesTo(after, rec.pod))) continue;
    if (retranslate(ctx, rec)) changed++;
  }
  return changed;
}

/**
 * Services of the namespace got their Fly address (or one went): the pods still waiting (for its
 * variables, say) are translated again, and so are the running pods the `addressed` Services
 * select. Such a pod may count a Service as older than itself (made in the same second:
 * timestamps have whole seconds) and so wait for its address; while it waited its machine kept the
 * config it had, without that Service's `services` entries, which it gets now (with the variables).
 */
export function reviseWaiting(ctx: DependentsContext, namespace: string, addressed: readonly Service[] = []): number {
  let changed = 0;
  for (const rec of ctx.pods.runnableIn(namespace)) {
    const waiting = rec.config === null && rec.problem !== null && !rec.problem.terminal;
    if ((waiting || addressed.some((s) => proxiesTo(s, rec.pod))) && retranslate(ctx, rec)) changed++;
  }
  return changed;
}

/** `reviseWaiting` in each namespace of `addressed` (Services that just got their Fly address), with those Services as stored. */
export function reviseAddressed(ctx: DependentsContext, objects: ObjectStore, addressed: ReadonlyArray<{ namespace: string; name: string }>): void {
  for (const ns of new Set(addressed.map((s) => s.namespace))) {
    const services = addressed.filter((s) => s.namespace === ns).flatMap((s) => (objects.find("Service", ns, s.name)?.object as Service | undefined) ?? []);
    reviseWaiting(ctx, ns, services);
  }
}

function retranslate(ctx: DependentsContext, rec: PodRecord): boolean {
  const t = translatePod(rec.pod, ctx.lookups);
  // A reference went away under a machine: it keeps what it was given, as a running container
  // keeps its environment and files; only a new machine would wait for it.
  if (t.config === null && !t.problem?.terminal && rec.machineId !== null && rec.config !== null) return false;
  const sameProblem = (t.problem?.message ?? null) === (rec.problem?.message ?? null) || (t.problem === null && rec.config !== null);
  if (t.configHash === rec.configHash && sameProblem) return false;
  const revised = ctx.pods.reviseSpec(rec.uid, { resourceVersion: rec.resourceVersion, pod: rec.pod, graceS: rec.graceS, unhonoured: t.unsupported, translation: translationOf(t) }, ctx.now);
  if (t.config) ctx.schedule(rec.uid);
  ctx.status.refresh(revised);
  return true;
}
