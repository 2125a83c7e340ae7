/** @jsxImportSource hono/jsx */
import { choices, filterPods, type PodFilter } from "../pod-filter";
import { podsByPhase, type ClusterStatusView } from "../status-view";
import { Layout } from "./layout";
import { FilterForm, PhaseSummary, PodsTable } from "./pods";
import { Decisions, Passes, Resources, Waiting } from "./sections";

/** Everything that changes between polls; the script swaps `#live` for a fresh copy. */
export function Live(props: { view: ClusterStatusView; filter: PodFilter }) {
  const v = props.view;
  const now = new Date(v.generatedAt);
  return (
    <div id="live" data-generated-at={v.generatedAt}>
      {!v.app.ready && (
        <p class="alert" role="alert">
          Fly app {v.app.name} is not usable: {v.app.error ?? "not checked yet"}
        </p>
      )}
      <PhaseSummary counts={podsByPhase(v.pods)} total={v.pods.length} />
      <PodsTable pods={filterPods(v.pods, props.filter)} total={v.pods.length} now={now} />
      <div class="grid">
        <Waiting view={v} />
        <Passes view={v} />
      </div>
      <Decisions view={v} />
      <div class="grid">
        <Resources view={v} />
      </div>
    </div>
  );
}

export function ClusterPage(props: { view: ClusterStatusView; filter: PodFilter; path: string }) {
  const v = props.view;
  const c = choices(v.pods);
  return (
    <Layout title={`cluster ${v.cluster}`} script>
      <h1>
        Cluster {v.cluster} <span class="muted">(Fly app {v.app.name})</span>
      </h1>
      <p class="muted">
        Updated <time id="updated" dateTime={v.generatedAt}>{v.generatedAt.slice(11, 19)} UTC</time>
        <span id="live-state" role="status" aria-live="polite"></span>
      </p>
      <FilterForm action={props.path} filter={props.filter} namespaces={c.namespaces} problems={c.problems} />
      <Live view={v} filter={props.filter} />
    </Layout>
  );
}
