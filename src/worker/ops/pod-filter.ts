import type { PodRowView } from "./status-view";

/** The page's filter: every field optional ("" = any). `problem`: "none", "any" or a reason. */
export interface PodFilter {
  q: string;
  namespace: string;
  phase: string;
  problem: string;
}

/** Rows rendered at most; the counts above the table always cover every pod. */
export const MAX_TABLE_ROWS = 500;

export function podFilterFrom(query: (key: string) => string | undefined): PodFilter {
  const field = (k: string) => (query(k) ?? "").trim().slice(0, 200);
  return { q: field("q"), namespace: field("namespace"), phase: field("phase"), problem: field("problem") };
}

export function filterPods(pods: readonly PodRowView[], f: PodFilter): PodRowView[] {
  const q = f.q.toLowerCase();
  return pods.filter((p) => {
    if (f.namespace && p.namespace !== f.namespace) return false;
    if (f.phase && p.phase !== f.phase) return false;
    if (f.problem === "none" && p.problem) return false;
    if (f.problem === "any" && !p.problem) return false;
    if (f.problem && f.problem !== "none" && f.problem !== "any" && p.problem?.reason !== f.problem) return false;
    if (!q) return true;
    return [p.namespace, p.name, p.uid, p.machineId, p.machineState, p.region, p.ipv6, p.guest, p.problem?.reason, p.problem?.message]
      .some((v) => v?.toLowerCase().includes(q));
  });
}

/** Distinct, sorted values for the filter's choices. */
export function choices(pods: readonly PodRowView[]): { namespaces: string[]; problems: string[] } {
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    namespaces: sorted(new Set(pods.map((p) => p.namespace))),
    problems: sorted(new Set(pods.flatMap((p) => (p.problem ? [p.problem.reason] : [])))),
  };
}
