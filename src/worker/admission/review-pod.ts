import { z } from "zod";
import { formatPath, PodSpec, ObjectMeta, type Pod } from "../../shared/k8s";
import { podToMachineConfig } from "../translate/pod-to-machine-config";

/** Volume sources a Machine can honour (see translate/volumes.ts). */
const MAPPABLE_VOLUMES = new Set(["emptyDir", "configMap", "secret", "downwardAPI", "projected", "persistentVolumeClaim"]);
const HOST_NAMESPACES = ["hostNetwork", "hostPID", "hostIPC"] as const;
const absent = () => undefined;

export interface PodVerdict {
  allowed: boolean;
  /** Why the pod was denied: every reason, each naming its field. */
  denials: string[];
  /** Accepted but not honoured, each naming its field (AdmissionResponse `warnings`). */
  warnings: string[];
}

/** A pod as admission sees it: at CREATE it may have no uid, name or resourceVersion yet. */
const AdmittedPod = z.looseObject({ metadata: ObjectMeta.optional(), spec: PodSpec });

/**
 * Decides whether a pod can run as a Fly Machine. Pure and side-effect free. Denies what no
 * Machine can be: host namespaces, volume sources with no Fly equivalent, more than one
 * PersistentVolumeClaim (one Fly Volume per Machine), and whatever the translation cannot make
 * (resources beyond the largest guest, unknown GPU kinds). Everything the Machine would run
 * without is a warning.
 */
export function reviewPod(raw: unknown, cluster: string): PodVerdict {
  const parsed = AdmittedPod.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { allowed: false, denials: [`${formatPath(issue.path)}: ${issue.message}`], warnings: [] };
  }
  const spec = parsed.data.spec;
  const denials: string[] = [];
  for (const field of HOST_NAMESPACES) {
    if (spec[field]) denials.push(`spec.${field}: a Fly Machine has no host namespaces to share; remove ${field}`);
  }
  const claims = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const source = Object.keys(v).find((k) => k !== "name");
    if (source && !MAPPABLE_VOLUMES.has(source)) {
      denials.push(`spec.volumes[${i}].${source}: volume "${v.name}": ${source} volumes cannot be mapped to a Fly Machine; use emptyDir, configMap, secret, downwardAPI, projected or one persistentVolumeClaim`);
    }
    if (v.persistentVolumeClaim) claims.add(v.persistentVolumeClaim.claimName);
  });
  if (claims.size > 1) {
    denials.push(`spec.volumes: ${claims.size} PersistentVolumeClaims (${[...claims].join(", ")}); a Fly Machine mounts one Fly Volume, so a pod may use at most one claim`);
  }

  const meta = parsed.data.metadata ?? {};
  const pod = {
    ...parsed.data,
    metadata: { ...meta, name: meta.name || meta.generateName || "pod", namespace: meta.namespace ?? "default", uid: meta.uid ?? "00000000-admission", resourceVersion: meta.resourceVersion ?? "0" },
  } as Pod;
  // Admission sees no stored objects: every Secret, ConfigMap and claim reads as absent, and what the
  // pod would wait for is no reason to deny it (the kubelet admits such pods too).
  const t = podToMachineConfig(pod, { cluster, secret: absent, configMap: absent, volume: absent });
  if (!t.ok) denials.push(...t.errors);
  // A denied field is not also a warning.
  const fieldOf = (finding: string) => finding.slice(0, finding.indexOf(":"));
  const denied = new Set(denials.map(fieldOf));
  const warnings = [...t.unsupported, ...t.warnings].filter((w) => !denied.has(fieldOf(w)));
  return { allowed: denials.length === 0, denials, warnings };
}
