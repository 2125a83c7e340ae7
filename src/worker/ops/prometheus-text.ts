/**
 * Prometheus text exposition format 0.0.4 for the worker (prom-client needs Node internals workerd
 * lacks). One family at a time: HELP, TYPE, then its samples.
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
  /** Appended to the family name: `_bucket`, `_sum`, `_count`. */
  suffix?: string;
}
export interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: Sample[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function value(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

export function formatFamilies(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",");
      out.push(`${f.name}${s.suffix ?? ""}${labels ? `{${labels}}` : ""} ${value(s.value)}`);
    }
  }
  return out.join("\n") + "\n";
}
