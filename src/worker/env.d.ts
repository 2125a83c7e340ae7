// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
interface Env {
  FLY_API_TOKEN: string;
  RELAY_SECRET: string;
  FLY_ORG?: string;
  /** Fly app name for a cluster; `{cluster}` is replaced. Default `fks-{cluster}`. */
  APP_NAME_TEMPLATE?: string;
}
