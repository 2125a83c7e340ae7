import type { KubeObject } from "../kube-api";
import { KubeletError } from "./status";

export interface PodTarget {
  namespace: string;
  name: string;
  uid: string;
  container: string;
  /** Every container of the pod, init containers first. */
  containers: string[];
}

interface ContainerSpec {
  name?: unknown;
}

/**
 * The pod and container a kubelet request names, from the relay's informer cache (which holds
 * exactly the pods bound to this node). Errors read as a kubelet's do, naming machinelet.
 */
export function resolveTarget(pod: KubeObject | undefined, namespace: string, name: string, container: string | undefined): PodTarget {
  if (!pod?.metadata.uid) throw new KubeletError(404, `machinelet: pod ${namespace}/${name} is not running on this node`);
  const spec = (pod.spec ?? {}) as { containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
  const names = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name).filter((n): n is string => typeof n === "string");
  const appContainers = (spec.containers ?? []).map((c) => c.name).filter((n): n is string => typeof n === "string");
  const chosen = container || (appContainers.length === 1 ? appContainers[0] : undefined);
  if (!chosen) throw new KubeletError(400, `a container name must be specified for pod ${name}, choose one of: [${appContainers.join(" ")}]`);
  if (!names.includes(chosen)) throw new KubeletError(400, `container ${chosen} is not valid for pod ${name}`);
  return { namespace, name, uid: pod.metadata.uid, container: chosen, containers: names };
}
