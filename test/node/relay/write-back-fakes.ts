/**
 * In-memory stand-ins for what the relay's write-back loops talk to: a worker answering its view
 * routes, and an API client that records every request (and answers nothing but success). Enough to
 * see exactly which writes a loop sends for one object.
 */
import type { KubeApi, KubeObject, KubeRequest } from "../../../src/relay/kube-api";
import type { WorkerClient } from "../../../src/relay/worker-client";

export interface SentRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A worker whose signed GETs answer `views[suffix]` (404 for any other route). */
export function viewWorker(views: Record<string, unknown>): { worker: WorkerClient; asked: string[] } {
  const asked: string[] = [];
  const worker = {
    signed: async (_method: string, suffix: string) => {
      asked.push(suffix);
      return suffix in views ? { status: 200, text: JSON.stringify(views[suffix]) } : { status: 404, text: '{"error":"not found"}' };
    },
  } as unknown as WorkerClient;
  return { worker, asked };
}

export function recordingApi(): { api: KubeApi; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const api = {
    request: async (method: string, path: string, req: KubeRequest = {}) => {
      sent.push({ method, path, body: req.body });
      return {};
    },
  } as unknown as KubeApi;
  return { api, sent };
}

/** A loop of the write-back kind: fed one event, run until nothing is pending. */
export interface WriteBack {
  observe(ev: { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject }): void;
  readonly pending: number;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Feeds `object` to `loop` and waits until its first write of it has finished (the loop is done
 * with it, or has asked the worker again); true when nothing is left pending.
 */
export async function writeBackOnce(loop: WriteBack, object: KubeObject, asked: string[]): Promise<boolean> {
  loop.start();
  try {
    loop.observe({ type: "MODIFIED", object });
    const deadline = Date.now() + 5000;
    while (!(asked.length >= 2 || (asked.length === 1 && loop.pending === 0))) {
      if (Date.now() > deadline) throw new Error(`no write finished within 5 s (worker asked ${asked.length} times)`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return loop.pending === 0;
  } finally {
    await loop.stop();
  }
}
