/**
 * The K8s stand-in's namespace controller (staging and tests only): once a namespace is Terminating,
 * deletes everything in it (pods gracefully, so a kubelet — the relay — still finalizes them) and
 * removes the namespace when nothing is left, as kube-controller-manager's namespace controller does.
 */
import { ApiError } from "./api-errors";
import type { Registry } from "./registry";
import { NAMESPACES } from "./namespace-lifecycle";
import { RESOURCES, qualifiedResource } from "./resources";
import type { Change, Store } from "./store";

const NAMESPACED = RESOURCES.filter((rt) => rt.namespaced);

export function startNamespaceController(store: Store, registry: Registry): () => void {
  let stopped = false;
  const queued = new Set<string>();

  const sweep = (namespace: string): void => {
    queued.delete(namespace);
    if (stopped) return;
    const ns = registry.find(NAMESPACES, undefined, namespace);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const rt of NAMESPACED) {
      for (const obj of registry.list(rt, namespace)) {
        remaining += 1;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          registry.delete(rt, namespace, obj.metadata.name ?? "");
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
      }
    }
    // Otherwise each DELETED of what is left brings the namespace back here.
    if (remaining === 0) registry.removeTerminatedNamespace(namespace);
  };
  const queue = (namespace: string): void => {
    if (queued.has(namespace) || stopped) return;
    queued.add(namespace);
    setImmediate(() => sweep(namespace));
  };
  const onNamespace = (change: Change): void => {
    if (change.type === "MODIFIED" && change.object.metadata.deletionTimestamp) queue(change.object.metadata.name ?? "");
  };
  const onContent = (change: Change): void => {
    const namespace = change.object.metadata.namespace;
    if (change.type === "DELETED" && namespace && registry.find(NAMESPACES, undefined, namespace)?.metadata.deletionTimestamp) queue(namespace);
  };
  const unsubscribers = [
    store.watch(qualifiedResource(NAMESPACES), store.resourceVersion, onNamespace),
    ...NAMESPACED.map((rt) => store.watch(qualifiedResource(rt), store.resourceVersion, onContent)),
  ];
  return () => {
    stopped = true;
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
