/** @jsxImportSource hono/jsx */
import { MAX_TABLE_ROWS, type PodFilter } from "../pod-filter";
import { POD_PHASES, type PodPhase, type PodRowView } from "../status-view";
import { age } from "./format";

export function PhaseSummary(props: { counts: Record<PodPhase, number>; total: number }) {
  return (
    <section aria-labelledby="phases">
      <h2 id="phases">Pods by phase</h2>
      <ul class="phases">
        <li>
          <span class="n">{props.total}</span> total
        </li>
        {POD_PHASES.map((p) => (
          <li class={`phase-${p.toLowerCase()}`}>
            <span class="n" data-phase-count={p}>{props.counts[p]}</span> {p}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The filter form: a plain GET form (works without script); the script re-fetches as you type. */
export function FilterForm(props: { action: string; filter: PodFilter; namespaces: string[]; problems: string[] }) {
  const f = props.filter;
  const option = (value: string, label: string, current: string) => (
    <option value={value} selected={value === current}>
      {label}
    </option>
  );
  return (
    <form class="filters" method="get" action={props.action} role="search" aria-label="Filter pods" id="filters">
      <div>
        <label for="q">Search</label>
        <input id="q" name="q" type="search" value={f.q} placeholder="pod, machine, IP, reason" />
      </div>
      <div>
        <label for="namespace">Namespace</label>
        <select id="namespace" name="namespace">
          {option("", "all", f.namespace)}
          {props.namespaces.map((n) => option(n, n, f.namespace))}
        </select>
      </div>
      <div>
        <label for="phase">Phase</label>
        <select id="phase" name="phase">
          {option("", "all", f.phase)}
          {POD_PHASES.map((p) => option(p, p, f.phase))}
        </select>
      </div>
      <div>
        <label for="problem">Problem</label>
        <select id="problem" name="problem">
          {option("", "all", f.problem)}
          {option("any", "any problem", f.problem)}
          {option("none", "no problem", f.problem)}
          {props.problems.map((p) => option(p, p, f.problem))}
        </select>
      </div>
      <noscript>
        <button type="submit">Filter</button>
      </noscript>
    </form>
  );
}

export function PodsTable(props: { pods: PodRowView[]; total: number; now: Date }) {
  const shown = props.pods.slice(0, MAX_TABLE_ROWS);
  return (
    <section aria-labelledby="pods">
      <h2 id="pods">Pods and machines</h2>
      <p class="muted" id="pods-count" data-shown={shown.length} data-matching={props.pods.length}>
        {props.pods.length === props.total ? `${props.total} pods` : `${props.pods.length} of ${props.total} pods match`}
        {shown.length < props.pods.length && `; the first ${shown.length} are shown, narrow the filter to see the others`}
      </p>
      <div class="scroll" role="region" aria-labelledby="pods" tabindex={0}>
        <table class="pods">
          <thead>
            <tr>
              {["Namespace", "Pod", "Phase", "Machine", "State", "Region", "Guest", "IPv6", "Restarts", "Problem", "Age"].map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr data-uid={p.uid} data-phase={p.phase}>
                <td>{p.namespace}</td>
                <th scope="row">{p.name}</th>
                <td>
                  <span class={`badge phase-${p.phase.toLowerCase()}`}>{p.phase}</span>
                </td>
                <td class="mono">{p.machineId ?? "—"}</td>
                <td>{p.machineState ?? "—"}</td>
                <td>{p.region ?? "—"}</td>
                <td class="nowrap">{p.guest ?? "—"}</td>
                <td class="mono">{p.ipv6 ?? "—"}</td>
                <td class="num">{p.restarts}</td>
                <td class="problem">{p.problem ? <span title={p.problem.message}><strong>{p.problem.reason}</strong> {p.problem.message}</span> : "—"}</td>
                <td>{age(p.createdAt, props.now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="empty">No pods match.</p>}
      </div>
    </section>
  );
}
