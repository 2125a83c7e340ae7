/** Metrics, the results file (a flat object metric -> number), and the printed table. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { round } from "./percentiles";

export interface Metric {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export const metric = (name: string, value: number, unit: string, note?: string, digits = 3): Metric => ({ name, value: round(value, digits), unit, note });

export function readResults(path: string): Record<string, number> {
  if (!existsSync(path)) return {};
  const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`${path} is not a JSON object`);
  return parsed as Record<string, number>;
}

/**
 * The previous results with the metrics of the scenarios that ran replaced: `owned` says which
 * old keys a scenario that ran is responsible for (so a renamed or dropped metric does not linger).
 */
export function mergeResults(previous: Record<string, number>, owned: (key: string) => boolean, fresh: Metric[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(previous)) if (!owned(k)) out[k] = v;
  for (const m of fresh) out[m.name] = m.value;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function writeResults(path: string, results: Record<string, number>): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}

export function formatTable(metrics: Metric[]): string {
  const rows = [["metric", "value", "unit", "note"], ...metrics.map((m) => [m.name, String(m.value), m.unit, m.note ?? ""])];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => [r[0]!.padEnd(widths[0]!), r[1]!.padStart(widths[1]!), r[2]!.padEnd(widths[2]!), r[3]!].join("  ").trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  ") + "  ----", ...rows.slice(1).map(line)].join("\n");
}
