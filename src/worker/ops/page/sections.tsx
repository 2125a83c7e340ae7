/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { ClusterStatusView } from "../status-view";
import { clock } from "./format";

/** A titled table that says "none" instead of drawing an empty grid. */
function TableSection(props: { id: string; title: string; head: string[]; rows: Child[][]; empty: string }) {
  return (
    <section aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.rows.length === 0 ? (
        <p class="empty">{props.empty}</p>
      ) : (
        <div class="scroll" role="region" aria-labelledby={props.id} tabindex={0}>
          <table>
            <thead>
              <tr>
                {props.head.map((h) => (
                  <th scope="col">{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((cells) => (
                <tr>
                  {cells.map((c) => (
                    <td>{c}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const dash = (v: string | number | null) => (v === null || v === "" ? "—" : v);

export function Waiting(props: { view: ClusterStatusView }) {
  const { budgets, retries } = props.view.waiting;
  return (
    <>
      <TableSection
        id="budgets"
        title="Waiting for rate budget"
        head={["Action", "Calls waiting", "Next slot"]}
        rows={budgets.map((b) => [b.action, b.waiting, b.nextSlotAt ? clock(b.nextSlotAt) : "—"])}
        empty="No call is waiting for the Machines API rate budget."
      />
      <TableSection
        id="retries"
        title="Retries"
        head={["Pod", "Attempts", "Next attempt", "Last error"]}
        rows={retries.map((r) => [`${r.namespace}/${r.pod}`, r.attempts, clock(r.nextAttemptAt), r.lastError])}
        empty="Nothing is being retried."
      />
    </>
  );
}

export function Passes(props: { view: ClusterStatusView }) {
  return (
    <TableSection
      id="passes"
      title="Last reconcile passes"
      head={["Pass", "Started", "Duration", "API calls", "Orphans", "Drift", "Recreated", "Restarted", "Error"]}
      rows={props.view.passes.map((p) => [p.pass, clock(p.startedAt), `${p.durationMs} ms`, p.calls, p.repairs.orphans, p.repairs.drift, p.repairs.recreated, p.repairs.restarted, dash(p.error)])}
      empty="No reconcile pass recorded yet."
    />
  );
}

export function Decisions(props: { view: ClusterStatusView }) {
  return (
    <TableSection
      id="decisions"
      title="Recent decisions"
      head={["Time", "Action", "Outcome", "Pod", "Machine", "Reason", "Duration"]}
      rows={props.view.decisions.map((d) => [
        clock(d.at),
        d.action,
        d.outcome,
        d.pod ? `${d.namespace ?? ""}/${d.pod}` : "—",
        dash(d.machine),
        d.reason,
        d.durationMs === null ? "—" : `${d.durationMs} ms`,
      ])}
      empty="No decision recorded yet."
    />
  );
}

export function Resources(props: { view: ClusterStatusView }) {
  const v = props.view;
  return (
    <>
      <TableSection
        id="services"
        title="Services"
        head={["Service", "Type", "Address", "Ready backends"]}
        rows={v.services.map((s) => [`${s.namespace}/${s.name}`, s.type, dash(s.address), `${s.ready} / ${s.backends}`])}
        empty="No Services."
      />
      <TableSection
        id="secrets"
        title="Secrets in use (names only)"
        head={["Secret", "Pods using it"]}
        rows={v.secrets.map((s) => [`${s.namespace}/${s.name}`, s.pods])}
        empty="No pod references a Secret."
      />
      <TableSection
        id="volumes"
        title="Volumes"
        head={["Claim", "Volume", "Size", "Region", "Pod"]}
        rows={v.volumes.map((x) => [`${x.namespace}/${x.claim}`, dash(x.volumeId), x.sizeGb === null ? "—" : `${x.sizeGb} GB`, dash(x.region), dash(x.pod)])}
        empty="No volumes."
      />
      <TableSection
        id="orphan-volumes"
        title="Volumes no live claim owns"
        head={["Volume", "Name", "Deleted claim", "Disposition", "Held by", "Since"]}
        rows={v.orphanVolumes.map((o) => [o.volumeId, o.name, dash(o.claimUid), o.disposition, dash(o.machine), o.since])}
        empty="None."
      />
      <TableSection
        id="spares"
        title="Warm capacity (stopped spares by pod template)"
        head={["Template", "Keeps", "Ready", "Moving", "Created", "Kept at scale-down", "Claimed", "Expired"]}
        rows={v.spares.map((t) => [t.template, t.count === null ? `scaled-down ones, ${t.ttlS / 60} min` : `${t.count}`, t.ready, t.moving, t.created, t.parked, t.claimed, t.expired])}
        empty="No pod template keeps spares."
      />
    </>
  );
}
