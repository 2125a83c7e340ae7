// Secrets and optional vars are not in wrangler.toml's [vars], so `wrangler types` cannot see them.
interface MachineletSettings {
  FLY_API_TOKEN: string;
  RELAY_SECRET: string;
  FLY_ORG?: string;
  /** Fly app name for a cluster; `{cluster}` is replaced. Default `fks-{cluster}`. */
  APP_NAME_TEMPLATE?: string;
  /** Seconds between periodic reconcile passes (default 20). */
  RECONCILE_INTERVAL_S?: string;
}
interface Env extends MachineletSettings {}
declare namespace Cloudflare {
  interface Env extends MachineletSettings {}
}
