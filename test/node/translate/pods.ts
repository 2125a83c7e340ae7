import { parseK8sObject, type Pod } from "../../../src/shared/k8s";

export const UID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/** A validated pod with the given spec (and metadata overrides), as a watch event would carry it. */
export function makePod(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Pod {
  const r = parseK8sObject("Pod", { metadata: { name: "web", namespace: "default", uid: UID, resourceVersion: "1", ...metadata }, spec });
  if (!r.ok) throw new Error(r.message);
  return r.object;
}

/** One container named `app` with the given fields. */
export function oneContainer(fields: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): Pod {
  return makePod({ containers: [{ name: "app", image: "ghcr.io/example/app:1", ...fields }], ...spec });
}
