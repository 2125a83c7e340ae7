import { pod } from "../helpers";

/** A pod of ReplicaSet `web-<hash>` (template `hash`), as the ReplicaSet controller makes them. */
export function rsPod(hash = "7d9f8c", over: { annotations?: Record<string, string>; image?: string } = {}) {
  const p = pod({ labels: { app: "web", "pod-template-hash": hash }, image: over.image });
  const name = `web-${hash}-${p.metadata.uid.slice(0, 5)}`;
  return {
    ...p,
    metadata: {
      ...p.metadata,
      name,
      ...(over.annotations ? { annotations: over.annotations } : {}),
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `web-${hash}`, uid: `rs-${hash}`, controller: true }],
    },
    spec: { ...p.spec, containers: [{ ...p.spec.containers[0]!, env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }] },
  };
}
