/**
 * Orders two resourceVersions of the same object. Kubernetes calls them opaque, but every
 * store K3s uses (etcd, kine) issues increasing integers; when either is not an integer we
 * cannot order them and treat the event as newer (the level-based convergence makes that safe).
 */
export function isNewer(incoming: string, stored: string): boolean {
  if (/^\d+$/.test(incoming) && /^\d+$/.test(stored)) {
    return incoming.length !== stored.length ? incoming.length > stored.length : incoming > stored;
  }
  return incoming !== stored;
}
