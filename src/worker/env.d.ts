// Secrets and optional vars are not in wrangler.toml's [vars], so `wrangler types` cannot see them.
interface MachineletSettings {
  FLY_API_TOKEN: string;
  RELAY_SECRET: string;
  FLY_ORG?: string;
  /** Fly app name for a cluster; `{cluster}` is replaced. Default `fks-{cluster}`. */
  APP_NAME_TEMPLATE?: string;
  /** Seconds between periodic reconcile passes (default 20). */
  RECONCILE_INTERVAL_S?: string;
  /** Bearer token for the status page and /metrics (secret). */
  STATUS_TOKEN?: string;
  /** Cloudflare Access team domain, e.g. `https://myteam.cloudflareaccess.com`; with ACCESS_AUD enables Access JWTs. */
  ACCESS_TEAM_DOMAIN?: string;
  /** The Access application's AUD tag. */
  ACCESS_AUD?: string;
  /** debug, info (default), warn or error: the least severe log line the worker writes. */
  LOG_LEVEL?: string;
  /** Comma-separated addresses of the cluster DNS that `ClusterFirst` pods use (README, Services); unset: pods resolve like `Default`. */
  CLUSTER_DNS?: string;
  /** The cluster domain, default `cluster.local`. */
  CLUSTER_DOMAIN?: string;
  /** Spares kept per pod template whose pods do not say (`machinelet.fly.io/spares`); unset: keep scaled-down ReplicaSet/StatefulSet machines, pre-warm none; "0": no spares. */
  SPARES?: string;
  /** How long spares wait for a pod of their template (Go duration, default 30m). */
  SPARE_TTL?: string;
  /** Comma-separated clusters the status page lists and /metrics reports by default. */
  CLUSTERS?: string;
}
interface Env extends MachineletSettings {}
declare namespace Cloudflare {
  interface Env extends MachineletSettings {}
}
