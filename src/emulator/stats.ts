/** Counts of /v1 calls by route template and HTTP status, in all and per app, for `GET /_emulator/stats`. */
export class CallStats {
  private calls = new Map<string, Map<number, number>>();
  private byApp = new Map<string, Map<string, Map<number, number>>>();

  record(route: string, status: number, app?: string): void {
    count(this.calls, route, status);
    if (app === undefined) return;
    const calls = this.byApp.get(app) ?? new Map<string, Map<number, number>>();
    count(calls, route, status);
    this.byApp.set(app, calls);
  }

  /** Every call, or only those on `app`'s paths (so a test sharing the emulator counts its own). */
  snapshot(app?: string): { calls: Record<string, Record<string, number>> } {
    const source = app === undefined ? this.calls : (this.byApp.get(app) ?? new Map<string, Map<number, number>>());
    const calls: Record<string, Record<string, number>> = {};
    for (const [route, byStatus] of source) calls[route] = Object.fromEntries([...byStatus].map(([s, n]) => [String(s), n]));
    return { calls };
  }

  reset(): void {
    this.calls.clear();
    this.byApp.clear();
  }
}

function count(calls: Map<string, Map<number, number>>, route: string, status: number): void {
  const byStatus = calls.get(route) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  calls.set(route, byStatus);
}
