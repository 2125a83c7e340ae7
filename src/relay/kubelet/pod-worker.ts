/** The relay's calls to the worker's pod I/O endpoints (src/shared/pod-io.ts), with kubelet-style errors. */
import { MAX_EXEC_TIMEOUT_S, podExecResultSchema, podLogsPageSchema, type PodExecRequest, type PodExecResult, type PodLogsPage } from "../../shared/contract";
import type { WorkerClient } from "../worker-client";
import { KubeletError } from "./status";

function workerError(status: number, text: string, what: string): KubeletError {
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // not JSON: keep the text
  }
  // 404/409/400 are about the pod; the rest means the worker or Fly could not answer now.
  const code = status === 404 ? 404 : status === 400 || status === 409 ? 400 : status === 504 ? 504 : 503;
  return new KubeletError(code, `machinelet: ${what}: ${message}`);
}

export async function fetchLogsPage(worker: WorkerClient, uid: string, q: { container?: string; after?: string }, signal: AbortSignal): Promise<PodLogsPage> {
  const query = new URLSearchParams();
  if (q.container) query.set("container", q.container);
  if (q.after) query.set("after", q.after);
  const suffix = `/pods/${encodeURIComponent(uid)}/logs${query.size ? `?${query}` : ""}`;
  const res = await worker.signed("GET", suffix, "", { signal });
  if (res.status !== 200) throw workerError(res.status, res.text, "cannot read the pod's logs");
  return podLogsPageSchema.parse(JSON.parse(res.text));
}

export async function execInPod(worker: WorkerClient, uid: string, req: PodExecRequest, signal?: AbortSignal): Promise<PodExecResult> {
  const res = await worker.signed("POST", `/pods/${encodeURIComponent(uid)}/exec`, JSON.stringify(req), { signal, extraTimeoutMs: MAX_EXEC_TIMEOUT_S * 1000 });
  if (res.status !== 200) throw workerError(res.status, res.text, "exec failed");
  return podExecResultSchema.parse(JSON.parse(res.text));
}
