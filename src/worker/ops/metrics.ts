import { PASS_BUCKETS, WAIT_BUCKETS } from "../cluster/ops-recorder";
import type { ClusterMetrics } from "./status-source";
import { formatFamilies, type Family, type Sample } from "./prometheus-text";
import { POD_PHASES, podsByPhase } from "./status-view";

/** Counter families the cluster objects keep (ops-recorder.ts, decision-log.ts); the README lists each. */
const COUNTERS: ReadonlyArray<{ name: string; help: string }> = [
  { name: "machinelet_machines_api_requests_total", help: "Machines API requests, by action and HTTP status code (network: no answer)." },
  { name: "machinelet_machines_api_rate_limited_total", help: "Machines API requests answered 429, by action." },
  { name: "machinelet_intake_events_total", help: "Watch events received from the relay, by kind and outcome." },
  { name: "machinelet_reconcile_passes_total", help: "Reconcile passes, by result (ok, failed)." },
  { name: "machinelet_reconcile_repairs_total", help: "What reconcile passes repaired, by kind (orphans, drift, recreated, restarted, orphan_volumes)." },
  { name: "machinelet_decisions_total", help: "Decisions logged, by action and outcome." },
  { name: "machinelet_alarms_total", help: "Alarm invocations of the cluster's Durable Object (each is billed; a steady rate is the work's, a climbing one a wake-up loop)." },
];

const HISTOGRAMS: ReadonlyArray<{ name: string; help: string; buckets: readonly number[] }> = [
  { name: "machinelet_rate_budget_wait_seconds", help: "Time a Machines API call waited for its rate budget.", buckets: WAIT_BUCKETS },
  { name: "machinelet_reconcile_duration_seconds", help: "Duration of a reconcile pass.", buckets: PASS_BUCKETS },
];

const labelled = (cluster: string, labels: Record<string, string>) => ({ cluster, ...labels });

function gauges(all: readonly ClusterMetrics[]): Family[] {
  const tally = (pick: (p: ClusterMetrics["view"]["pods"][number]) => string | null, labelName: string) =>
    all.flatMap(({ view }) => {
      const by = new Map<string, number>();
      for (const p of view.pods) {
        const k = pick(p);
        if (k !== null) by.set(k, (by.get(k) ?? 0) + 1);
      }
      return [...by].map(([k, n]) => ({ labels: { cluster: view.cluster, [labelName]: k }, value: n }));
    });
  return [
    {
      name: "machinelet_pods",
      help: "Pods the worker holds, by cluster and phase.",
      type: "gauge",
      samples: all.flatMap(({ view }) => {
        const counts = podsByPhase(view.pods);
        return POD_PHASES.map((phase) => ({ labels: { cluster: view.cluster, phase }, value: counts[phase] }));
      }),
    },
    { name: "machinelet_machines", help: "Machines owned by the cluster's pods, by cluster and last observed state.", type: "gauge", samples: tally((p) => (p.machineId ? (p.machineState ?? "unknown") : null), "state") },
    { name: "machinelet_pods_with_problem", help: "Pods whose status names a problem, by cluster and reason.", type: "gauge", samples: tally((p) => p.problem?.reason ?? null, "reason") },
    { name: "machinelet_work_retrying", help: "Pods whose last convergence step failed and is retried with backoff.", type: "gauge", samples: all.map(({ view }) => ({ labels: { cluster: view.cluster }, value: view.waiting.retries.length })) },
    {
      name: "machinelet_spares",
      help: "Stopped spare machines by cluster, pod template and state (ready, moving: being claimed or kept).",
      type: "gauge",
      samples: all.flatMap(({ view }) =>
        view.spares.flatMap((t) => [
          { labels: { cluster: view.cluster, template: t.template, state: "ready" }, value: t.ready },
          { labels: { cluster: view.cluster, template: t.template, state: "moving" }, value: t.moving },
        ]),
      ),
    },
    {
      name: "machinelet_spare_events",
      help: "What happened to a pod template's spares since the worker first kept one for it (created, parked, claimed, expired); restarts at 0 when a template is forgotten.",
      type: "gauge",
      samples: all.flatMap(({ view }) =>
        view.spares.flatMap((t) => (["created", "parked", "claimed", "expired"] as const).map((event) => ({ labels: { cluster: view.cluster, template: t.template, event }, value: t[event] }))),
      ),
    },
    {
      name: "machinelet_orphan_volumes",
      help: "Volumes of the cluster that no live claim owns, by disposition (unknown, duplicate, retained, attached, releasing), as the last volume sweep found them.",
      type: "gauge",
      samples: all.flatMap(({ view }) => {
        const by = new Map<string, number>();
        for (const o of view.orphanVolumes) by.set(o.disposition, (by.get(o.disposition) ?? 0) + 1);
        return [...by].map(([disposition, n]) => ({ labels: { cluster: view.cluster, disposition }, value: n }));
      }),
    },
    {
      name: "machinelet_status_feed_lag_seconds",
      help: "Age of the oldest pod status change the relay has not yet acknowledged (0 when caught up).",
      type: "gauge",
      samples: all.map((m) => ({ labels: { cluster: m.view.cluster }, value: m.feedLagSeconds })),
    },
  ];
}

function counters(all: readonly ClusterMetrics[]): Family[] {
  return COUNTERS.map((c) => ({
    ...c,
    type: "counter" as const,
    samples: all.flatMap((m) => m.counters.filter((s) => s.name === c.name).map((s) => ({ labels: labelled(m.view.cluster, s.labels), value: s.value }))),
  }));
}

/** Stored cumulative buckets; a bucket never reached is 0. */
function histograms(all: readonly ClusterMetrics[]): Family[] {
  return HISTOGRAMS.map((h) => ({
    name: h.name,
    help: h.help,
    type: "histogram" as const,
    samples: all.flatMap((m): Sample[] => {
      const get = (suffix: string, labels: Record<string, string> = {}) =>
        m.counters.find((s) => s.name === `${h.name}${suffix}` && JSON.stringify(s.labels) === JSON.stringify(labels))?.value ?? 0;
      const cluster = m.view.cluster;
      return [
        ...[...h.buckets.map(String), "+Inf"].map((le) => ({ suffix: "_bucket", labels: { cluster, le }, value: get("_bucket", { le }) })),
        { suffix: "_sum", labels: { cluster }, value: get("_sum") },
        { suffix: "_count", labels: { cluster }, value: get("_count") },
      ];
    }),
  }));
}

/** The worker's `/metrics` for the given clusters (Prometheus text format). */
export const renderMetrics = (all: readonly ClusterMetrics[]) => formatFamilies([...gauges(all), ...counters(all), ...histograms(all)]);
