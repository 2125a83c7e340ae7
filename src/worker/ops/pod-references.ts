import type { Pod } from "../../shared/k8s";

/** Names of the Secrets a pod references (env, envFrom, volumes, image pull secrets): names only. */
export function secretNamesOf(pod: Pod): string[] {
  const names = new Set<string>();
  const spec = pod.spec;
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const f of c.envFrom ?? []) if (f.secretRef?.name) names.add(f.secretRef.name);
  }
  for (const v of spec.volumes ?? []) {
    const s = (v as { secret?: { secretName?: string } }).secret;
    if (s?.secretName) names.add(s.secretName);
  }
  for (const r of (spec as { imagePullSecrets?: Array<{ name?: string }> }).imagePullSecrets ?? []) if (r.name) names.add(r.name);
  return [...names];
}

/** Claims a pod mounts. */
export function claimNamesOf(pod: Pod): string[] {
  return (pod.spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
}

/** Whether `labels` match a Service's equality selector (an empty selector selects nothing here: no managed backends). */
export function selects(selector: Record<string, string> | null | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}
