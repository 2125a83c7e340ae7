import { FLY_LOG_PAGE, type FlyLogEntry, type FlyLogsClient } from "../../machines/logs-client";
import type { PodLogLine, PodLogsPage } from "../../shared/contract";

/** Providers of the machine's own output; everything else (runner, proxy, ...) is Fly's platform talking. */
const APP_PROVIDERS = new Set(["app", ""]);

/** Fly's log lines -> the pod's, keeping the container's and (when asked) Fly's platform lines. */
export function flyLinesToPodLines(entries: readonly FlyLogEntry[], opts: { container?: string; platform: boolean }): PodLogLine[] {
  const out: PodLogLine[] = [];
  for (const e of entries) {
    const provider = e.meta?.event?.provider ?? "app";
    if (!opts.platform && !APP_PROVIDERS.has(provider)) continue;
    const container = e.meta?.container;
    // A line names its container only on multi-container machines; unnamed lines belong to every container.
    if (opts.container !== undefined && container !== undefined && container !== opts.container) continue;
    out.push({ timestamp: e.timestamp, message: e.message, provider: provider || "app", ...(container ? { container } : {}) });
  }
  return out;
}

/** One page of a machine's lines from Fly, filtered for the pod. */
export async function readPodLogs(
  logs: FlyLogsClient,
  app: string,
  machineId: string,
  q: { container?: string; after?: string; platform: boolean },
): Promise<PodLogsPage> {
  const page = await logs.page(app, { instance: machineId, nextToken: q.after });
  return {
    machineId,
    lines: flyLinesToPodLines(page.entries, { container: q.container, platform: q.platform }),
    next: page.nextToken ?? q.after ?? "0",
    more: page.entries.length >= FLY_LOG_PAGE,
  };
}
