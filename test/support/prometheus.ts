import parsePrometheusTextFormat, { type PromFamily, type PromSample } from "parse-prometheus-text-format";

/** Parses a scrape (failing on malformed text) into families by name. */
export function parseScrape(text: string): Map<string, PromFamily> {
  return new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
}

/** The sample of `family` whose labels include `labels`; its value as a number (histograms: count). */
export function sampleValue(families: Map<string, PromFamily>, family: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(family);
  const s = f?.metrics.find((m: PromSample) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!s) return undefined;
  return Number(s.value ?? s.count);
}
