/** @jsxImportSource hono/jsx */
import { Layout } from "./layout";

/** Shown instead of any cluster data when a browser has no credential. */
export function LoginPage(props: { reason: string; next: string; canSignIn: boolean }) {
  return (
    <Layout title="Sign in">
      <section class="card narrow" aria-labelledby="signin">
        <h1 id="signin">Sign in</h1>
        <p role="status">{props.reason}</p>
        {props.canSignIn && (
          <form method="post" action="/ui/login">
            <input type="hidden" name="next" value={props.next} />
            <label for="token">Status token (the worker's STATUS_TOKEN secret)</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required />
            <button type="submit">Sign in</button>
          </form>
        )}
      </section>
    </Layout>
  );
}

/** Cluster picker at `/ui/`: the worker keeps no list of clusters beyond the configured ones. */
export function ClusterPicker(props: { clusters: string[] }) {
  return (
    <Layout title="Clusters">
      <section class="card narrow" aria-labelledby="clusters">
        <h1 id="clusters">Clusters</h1>
        {props.clusters.length > 0 && (
          <ul>
            {props.clusters.map((c) => (
              <li>
                <a href={`/ui/clusters/${c}`}>{c}</a>
              </li>
            ))}
          </ul>
        )}
        <form method="get" action="/ui/">
          <label for="cluster">Open a cluster by name</label>
          <input id="cluster" name="cluster" required pattern="[a-z0-9]([a-z0-9\-]{0,38}[a-z0-9])?" />
          <button type="submit">Open</button>
        </form>
      </section>
    </Layout>
  );
}
