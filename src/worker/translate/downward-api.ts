import { parseQuantity, type Container, type Pod, type Quantity } from "../../shared/k8s";
import type { MachineGuest } from "../../machines/machine-config";

/** A downward-API value: known now, or a Machine field Fly fills in at boot (`env_from`). */
export type FieldValue = { literal: string } | { machineField: "private_ip" } | { unsupported: string };

const KEYED = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/**
 * Resolves a `fieldRef.fieldPath`. The pod IP is the Machine's 6PN address, known only once it
 * boots; the Machine is its own host, so the host IP is the same address.
 */
export function fieldRefValue(pod: Pod, fieldPath: string, inVolume = false): FieldValue {
  const m = pod.metadata;
  switch (fieldPath) {
    case "metadata.name":
      return { literal: m.name };
    case "metadata.namespace":
      return { literal: m.namespace };
    case "metadata.uid":
      return { literal: m.uid };
    case "spec.nodeName":
      return { literal: pod.spec.nodeName ?? "" };
    case "spec.serviceAccountName":
      return { literal: pod.spec.serviceAccountName ?? "default" };
    case "status.podIP":
    case "status.podIPs":
    case "status.hostIP":
    case "status.hostIPs":
      return inVolume ? { unsupported: "the pod IP is not known before the Machine boots" } : { machineField: "private_ip" };
    case "metadata.labels":
    case "metadata.annotations":
      if (inVolume) return { literal: formatMap(fieldPath === "metadata.labels" ? m.labels : m.annotations) };
  }
  const keyed = KEYED.exec(fieldPath);
  if (keyed) return { literal: (keyed[1] === "labels" ? m.labels : m.annotations)?.[keyed[2]!] ?? "" };
  return { unsupported: `field ${JSON.stringify(fieldPath)} is not available` };
}

/** The downward API's `key="value"` lines, sorted by key. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join("\n");
}

/**
 * Resolves a `resourceFieldRef` as the kubelet does: the value divided by `divisor` (default 1),
 * rounded up. An unset limit is the node's allocatable amount, which on a Machine is the guest.
 */
export function resourceFieldValue(container: Container, resource: string, divisor: Quantity | undefined, guest: MachineGuest): FieldValue {
  const [kind, name] = resource.split(".", 2) as [string, string | undefined];
  if ((kind !== "limits" && kind !== "requests") || (name !== "cpu" && name !== "memory")) {
    return { unsupported: `resource ${JSON.stringify(resource)} is not available` };
  }
  const allocatable = name === "cpu" ? guest.cpus ?? 1 : (guest.memory_mb ?? 256) * 2 ** 20;
  const set = container.resources?.[kind]?.[name] ?? (kind === "requests" ? container.resources?.limits?.[name] : undefined);
  const value = set === undefined ? (kind === "limits" ? allocatable : 0) : parseQuantity(set);
  const by = divisor === undefined ? 1 : parseQuantity(divisor);
  if (by <= 0) return { unsupported: `divisor ${JSON.stringify(divisor)} must be positive` };
  return { literal: String(Math.ceil(value / by - 1e-9)) };
}
