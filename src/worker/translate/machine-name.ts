import type { StoredObjectMeta } from "../../shared/k8s";

const MAX_NAME = 63;
const UID_SUFFIX = 8;

/**
 * `<namespace>-<name>-<first 8 hex of the uid>`: lowercase letters, digits and dashes, at most
 * 63 characters (namespace and name are cut, the uid suffix never is). The suffix keeps names
 * of same-named pods (a pod deleted and re-created) apart.
 */
export function machineNameForPod(meta: Pick<StoredObjectMeta, "namespace" | "name" | "uid">): string {
  const suffix = sanitize(meta.uid.replace(/-/g, "")).slice(0, UID_SUFFIX) || "0";
  const base = sanitize(`${meta.namespace}-${meta.name}`).slice(0, MAX_NAME - suffix.length - 1).replace(/-+$/, "");
  return base ? `${base}-${suffix}` : suffix;
}

function sanitize(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** The pod's hostname as the kubelet sets it: `spec.hostname`, else the pod name cut to 63 characters. */
export function podHostname(name: string, hostname: string | undefined): string {
  return (hostname || name).slice(0, MAX_NAME).replace(/[-.]+$/, "");
}
