/**
 * A guard in front of the cluster object: JSON that parses but that no Kubernetes object of the
 * kinds machinelet takes could look like. Nesting deeper than MAX_OBJECT_DEPTH would overflow the
 * stack of the code that clones and serialises it; an object larger than MAX_OBJECT_BYTES would not
 * fit, with its machine config, in one row of the object's SQLite (2 MB per row). The walk is
 * iterative, so it cannot overflow itself.
 */
import type { EventResult, WatchEvent } from "../../shared/contract";
import { formatPath } from "../../shared/k8s";

/** A pod's deepest fields (affinity terms, managedFields) are about 15 levels down. */
export const MAX_OBJECT_DEPTH = 64;
/** A third of Kubernetes' own limit (1.5 MiB in etcd): pod, machine config and the observed machine share a 2 MB row. */
export const MAX_OBJECT_BYTES = 512 * 1024;

interface Node {
  value: unknown;
  depth: number;
  key?: PropertyKey;
  parent?: Node;
}

const pathOf = (node: Node): PropertyKey[] => {
  const path: PropertyKey[] = [];
  for (let n: Node | undefined = node; n?.parent; n = n.parent) path.unshift(n.key!);
  return path;
};

export interface Refusal {
  /** where in the object the limit was crossed */
  path: PropertyKey[];
  why: string;
}

/** Why `object` cannot be taken, and where; undefined when it passes. Sizes count JSON text, escapes aside. */
export function screenObject(object: unknown): Refusal | undefined {
  const stack: Node[] = [{ value: object, depth: 0 }];
  let bytes = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value, depth } = node;
    if (depth > MAX_OBJECT_DEPTH) return { path: pathOf(node), why: `nested deeper than ${MAX_OBJECT_DEPTH} levels` };
    if (Array.isArray(value)) {
      bytes += 2 + value.length;
      value.forEach((item, i) => stack.push({ value: item, depth: depth + 1, key: i, parent: node }));
    } else if (typeof value === "object" && value !== null) {
      bytes += 2;
      for (const [key, item] of Object.entries(value)) {
        bytes += key.length + 4;
        stack.push({ value: item, depth: depth + 1, key, parent: node });
      }
    } else {
      bytes += typeof value === "string" ? value.length + 2 : String(value).length;
    }
    if (bytes > MAX_OBJECT_BYTES) return { path: pathOf(node), why: `the object is larger than ${MAX_OBJECT_BYTES} bytes, machinelet's limit for one object` };
  }
  return undefined;
}

/** The first object of a reconcile snapshot the screen refuses, as a 400 body; a snapshot is taken whole or not at all. */
export function screenSnapshot(snapshot: Record<string, Array<Record<string, unknown>>>): { error: string; path: string } | undefined {
  for (const [list, objects] of Object.entries(snapshot)) {
    for (const [i, object] of objects.entries()) {
      const refusal = screenObject(object);
      if (refusal) return { error: refusal.why, path: formatPath(["snapshot", list, i, ...refusal.path]) };
    }
  }
  return undefined;
}

/**
 * Applies the events that pass the object screen and answers the others `rejected` (naming where
 * the limit was crossed) without handing them to the cluster object; results stay in request order.
 */
export async function applyScreened(events: WatchEvent[], apply: (events: WatchEvent[]) => Promise<EventResult[]>): Promise<EventResult[]> {
  const refusals = events.map((e) => screenObject(e.object));
  const passed = events.filter((_, i) => !refusals[i]);
  const applied = passed.length ? await apply(passed) : [];
  let next = 0;
  return events.map((event, i) => {
    const refusal = refusals[i];
    if (!refusal) return applied[next++]!;
    const raw = event.object as { kind?: unknown; metadata?: { uid?: unknown } };
    const uid = typeof raw.metadata?.uid === "string" ? raw.metadata.uid.slice(0, 128) : "";
    const kind = typeof raw.kind === "string" ? raw.kind.slice(0, 64) : "";
    return { uid, kind, outcome: "rejected", message: `${formatPath(refusal.path)}: ${refusal.why}` };
  });
}
