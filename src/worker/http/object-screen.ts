/**
 * A guard in front of the cluster object: JSON that parses but that no Kubernetes object of the
 * kinds machinelet takes could look like. Nesting deeper than MAX_OBJECT_DEPTH would overflow the
 * stack of the code that clones and serialises it; an object larger than MAX_OBJECT_BYTES would not
 * fit, with its machine config, in one row of the object's SQLite (2 MB per row). The walk is
 * iterative, so it cannot overflow itself. A ConfigMap or Secret that is only too large (Kubernetes
 * allows 1 MiB) is a valid object machinelet cannot hold: it is taken as a stub, its identity and
 * why (`OVERSIZED_FIELD`), so its pods wait saying so and a snapshot holding it is still taken.
 */
import { SNAPSHOT_KINDS, type EventResult, type Snapshot, type WatchEvent } from "../../shared/contract";
import { formatPath } from "../../shared/k8s";
import { OVERSIZED_FIELD } from "../cluster/object-lookups";

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
  return walk(object)?.refusal;
}

/** The refusal and whether it is only about size (no limit of depth crossed). */
function walk(object: unknown): { refusal: Refusal; size: boolean } | undefined {
  const stack: Node[] = [{ value: object, depth: 0 }];
  let bytes = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value, depth } = node;
    if (depth > MAX_OBJECT_DEPTH) return { refusal: { path: pathOf(node), why: `nested deeper than ${MAX_OBJECT_DEPTH} levels` }, size: false };
    if (Array.isArray(value)) {
      bytes += 2 + value.length;
      value.forEach((item, i) => stack.push({ value: item, depth: depth + 1, key: i, parent: node }));
    } else if (typeof value === "object" && value !== null) {
      bytes += 2;
      for (const key of Object.keys(value)) {
        bytes += key.length + 4;
        stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, key, parent: node });
      }
    } else {
      bytes += typeof value === "string" ? value.length + 2 : String(value).length;
    }
    if (bytes > MAX_OBJECT_BYTES) return { refusal: { path: pathOf(node), why: `the object is larger than ${MAX_OBJECT_BYTES} bytes, machinelet's limit for one object` }, size: true };
  }
  return undefined;
}

/** Kinds Kubernetes lets grow past machinelet's limit for one object (to 1 MiB) and that are kept as stubs. */
const STUBBED_KINDS: ReadonlySet<string> = new Set(["ConfigMap", "Secret"]);

/**
 * A too-large ConfigMap or Secret as machinelet keeps it: identity and version, no data, and why
 * (`OVERSIZED_FIELD`); undefined for any other refusal, kind or an object without its identity.
 */
function stubOf(object: unknown, kind: string, screened: { refusal: Refusal; size: boolean }): Record<string, unknown> | undefined {
  if (!screened.size || !STUBBED_KINDS.has(kind) || typeof object !== "object" || object === null) return undefined;
  const meta = (object as { metadata?: Record<string, unknown> }).metadata;
  const ids = ["uid", "name", "namespace", "resourceVersion"] as const;
  if (!meta || ids.some((k) => typeof meta[k] !== "string" || (meta[k] as string).length > 512)) return undefined;
  const { refusal } = screened;
  return {
    apiVersion: "v1",
    kind,
    metadata: Object.fromEntries([...ids, "deletionTimestamp"].filter((k) => typeof meta[k] === "string").map((k) => [k, meta[k]])),
    [OVERSIZED_FIELD]: `${formatPath(refusal.path)}: ${refusal.why}`,
  };
}

/**
 * The snapshot the cluster object takes, too-large ConfigMaps and Secrets as stubs; or the first
 * object it refuses, as a 400 body: a snapshot is taken whole or not at all.
 */
export function screenSnapshot(snapshot: Snapshot): { snapshot: Snapshot } | { error: string; path: string } {
  const out = { ...snapshot };
  for (const list of Object.keys(SNAPSHOT_KINDS) as Array<keyof Snapshot>) {
    const objects = [...snapshot[list]];
    for (const [i, object] of objects.entries()) {
      const screened = walk(object);
      if (!screened) continue;
      const stub = stubOf(object, SNAPSHOT_KINDS[list], screened);
      if (!stub) return { error: screened.refusal.why, path: formatPath(["snapshot", list, i, ...screened.refusal.path]) };
      objects[i] = stub;
    }
    out[list] = objects;
  }
  return { snapshot: out };
}

/**
 * Applies the events that pass the object screen (a too-large ConfigMap or Secret as its stub) and
 * answers the others `rejected` (naming where the limit was crossed) without handing them to the
 * cluster object; results stay in request order.
 */
export async function applyScreened(events: WatchEvent[], apply: (events: WatchEvent[]) => Promise<EventResult[]>): Promise<EventResult[]> {
  const screened = events.map((e) => {
    const found = walk(e.object);
    if (!found) return { event: e };
    const kind = (e.object as { kind?: unknown } | null)?.kind;
    const stub = typeof kind === "string" ? stubOf(e.object, kind, found) : undefined;
    return stub ? { event: { ...e, object: stub } as WatchEvent, stubbed: found.refusal } : { refusal: found.refusal };
  });
  const passed = screened.flatMap((s) => (s.event ? [s.event] : []));
  const applied = passed.length ? await apply(passed) : [];
  let next = 0;
  return screened.map((s, i) => {
    if (s.event) {
      const result = applied[next++]!;
      return s.stubbed && result.outcome === "applied" ? { ...result, message: `kept without its data, its pods wait: ${formatPath(s.stubbed.path)}: ${s.stubbed.why}` } : result;
    }
    const raw = events[i]!.object as { kind?: unknown; metadata?: { uid?: unknown } };
    const uid = typeof raw.metadata?.uid === "string" ? raw.metadata.uid.slice(0, 128) : "";
    const kind = typeof raw.kind === "string" ? raw.kind.slice(0, 64) : "";
    return { uid, kind, outcome: "rejected", message: `${formatPath(s.refusal!.path)}: ${s.refusal!.why}` };
  });
}
