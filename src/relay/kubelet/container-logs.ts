/**
 * `GET /containerLogs/{namespace}/{pod}/{container}` of the kubelet API, backed by Fly's logs
 * through the worker: the machine's own lines (Fly's platform lines kept out), the container's
 * only on a multi-container machine. Follow polls with backoff and ends when the pod is gone.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { Backoff, sleep } from "../backoff";
import type { WorkerClient } from "../worker-client";
import { fetchLogsPage } from "./pod-worker";
import type { PodTarget } from "./pod-target";
import { KubeletError, LIMITS } from "./status";
import type { PodLogLine } from "../../shared/contract";

export interface LogOptions {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Only lines at or after this instant (ns since the epoch). */
  sinceNs?: bigint;
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === "" || v === "false" || v === "0") return false;
  if (v === "true" || v === "1") return true;
  throw new KubeletError(400, `${name}: "${v}" is not a boolean`);
}

function positiveInt(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min) throw new KubeletError(400, `${name} must be an integer >= ${min}, got "${v}"`);
  return Number(v);
}

/** RFC 3339 (any fraction) -> nanoseconds since the epoch. */
export function timestampNs(ts: string): bigint | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

export function parseLogOptions(q: URLSearchParams, nowMs = Date.now()): LogOptions {
  if (flag(q, "previous")) throw new KubeletError(400, LIMITS.previous);
  const sinceSeconds = positiveInt(q, "sinceSeconds", 1);
  const sinceTime = q.get("sinceTime");
  if (sinceSeconds !== undefined && sinceTime) throw new KubeletError(400, "at most one of sinceTime or sinceSeconds may be specified");
  let sinceNs: bigint | undefined;
  if (sinceSeconds !== undefined) sinceNs = BigInt(nowMs - sinceSeconds * 1000) * 1_000_000n;
  if (sinceTime) {
    sinceNs = timestampNs(sinceTime);
    if (sinceNs === undefined) throw new KubeletError(400, `sinceTime: "${sinceTime}" is not an RFC 3339 time`);
  }
  const tailLines = positiveInt(q, "tailLines", 0);
  const limitBytes = positiveInt(q, "limitBytes", 1);
  return {
    follow: flag(q, "follow"),
    timestamps: flag(q, "timestamps"),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceNs !== undefined ? { sinceNs } : {}),
  };
}

export interface LogStreamDeps {
  worker: WorkerClient;
  /** False once the pod is deleted or replaced: follow ends. */
  podAlive: () => boolean;
  /** Follow's polling delays. */
  poll: { baseMs: number; maxMs: number };
}

/** Writes the container's lines to `res` (headers included); resolves when done or the client left. */
export async function serveContainerLogs(deps: LogStreamDeps, target: PodTarget, opts: LogOptions, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  const container = target.containers.length > 1 ? target.container : undefined;
  // The first page is fetched before the headers go out, so a refusal is still a Status.
  let page = await fetchLogsPage(deps.worker, target.uid, { container }, abort.signal);
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" });
  let budget = opts.limitBytes ?? Infinity;
  // A slow client must slow the reading of Fly's logs, not pile them up in memory. A client that
  // leaves aborts the wait (once() then rejects), so the loop ends instead of waiting for ever.
  const drained = () => once(res, "drain", { signal: abort.signal }).catch(() => undefined);
  /** False once nothing more is to be written: the byte limit is reached or the client left. */
  const write = async (lines: PodLogLine[]): Promise<boolean> => {
    for (const line of lines) {
      if (abort.signal.aborted) return false;
      if (opts.sinceNs !== undefined && (timestampNs(line.timestamp) ?? 0n) < opts.sinceNs) continue;
      const text = `${opts.timestamps ? `${line.timestamp} ` : ""}${line.message}\n`;
      const bytes = Buffer.from(text);
      if (bytes.length >= budget) {
        res.write(bytes.subarray(0, budget));
        budget = 0;
        return false;
      }
      budget -= bytes.length;
      if (!res.write(bytes)) await drained();
    }
    return true;
  };
  let lines = page.lines;
  if (opts.tailLines !== undefined) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
  if (!(await write(lines)) || !opts.follow) return void res.end();

  const backoff = new Backoff(deps.poll);
  while (!abort.signal.aborted && deps.podAlive()) {
    if (!page.more) await sleep(backoff.next(), abort.signal);
    if (abort.signal.aborted) break;
    try {
      page = await fetchLogsPage(deps.worker, target.uid, { container, after: page.next }, abort.signal);
    } catch (e) {
      if (e instanceof KubeletError && e.code === 404) break; // the machine is gone
      if (abort.signal.aborted) break;
      page = { ...page, lines: [], more: false }; // the worker or Fly is unavailable: keep following, after a pause
      continue;
    }
    if (page.lines.length > 0) backoff.reset();
    if (!(await write(page.lines))) break;
  }
  res.end();
}
