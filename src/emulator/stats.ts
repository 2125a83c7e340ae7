/** Counts of /v1 calls by route template and HTTP status, for `GET /_emulator/stats`. */
export class CallStats {
  private calls = new Map<string, Map<number, number>>();

  record(route: string, status: number): void {
    const byStatus = this.calls.get(route) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.calls.set(route, byStatus);
  }

  snapshot(): { calls: Record<string, Record<string, number>> } {
    const calls: Record<string, Record<string, number>> = {};
    for (const [route, byStatus] of this.calls) calls[route] = Object.fromEntries([...byStatus].map(([s, n]) => [String(s), n]));
    return { calls };
  }

  reset(): void {
    this.calls.clear();
  }
}
