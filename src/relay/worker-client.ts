/**
 * Requests from the relay to the worker. Everything under `/v1/clusters/{cluster}/` is signed
 * (contract: "Authentication of worker requests") over the exact path and query the worker sees,
 * including any base path of the worker URL.
 */
import { SIGNATURE_HEADER, signRequest } from "../shared/contract";

export class WorkerRequestError extends Error {
  override readonly name = "WorkerRequestError";
  constructor(
    /** HTTP status; undefined for network failures and timeouts. */
    readonly status: number | undefined,
    message: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${status ?? "no response"}: ${message}`);
  }
}

export interface WorkerResponse {
  status: number;
  text: string;
}

export class WorkerClient {
  private readonly base: URL;
  /** The worker URL's own path without a trailing slash ("" for a bare origin). */
  private readonly basePath: string;

  constructor(
    workerUrl: string,
    private readonly cluster: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(workerUrl);
    this.basePath = this.base.pathname.replace(/\/+$/, "");
  }

  /**
   * A signed request to `/v1/clusters/{cluster}{suffix}`; any HTTP answer is returned (the
   * caller decides what a status means), network failures and timeouts throw WorkerRequestError.
   * The answer comes uncompressed unless `compressed`: most answers are a few hundred bytes
   * (event results, log pages, exec results), and a gzip stream per answer was the largest
   * share of the relay's CPU under 20 kubelet sessions. Answers that can be large (the status
   * feed, a snapshot's results) ask for it.
   */
  async signed(method: "GET" | "POST", suffix: string, body = "", opts: { signal?: AbortSignal; extraTimeoutMs?: number; compressed?: boolean } = {}): Promise<WorkerResponse> {
    const url = new URL(this.base);
    const [path, query] = suffix.split("?", 2);
    url.pathname = `${this.basePath}/v1/clusters/${this.cluster}${path}`;
    url.search = query ? `?${query}` : "";
    const signature = await signRequest(this.secret, method, url.pathname + url.search, body);
    const headers: Record<string, string> = { [SIGNATURE_HEADER]: signature };
    if (!opts.compressed) headers["accept-encoding"] = "identity";
    if (method === "POST") headers["content-type"] = "application/json";
    return this.send(url, { method, headers, body: method === "POST" ? body : undefined }, `${method} ${path}`, opts);
  }

  /** `GET /healthz` (unsigned). */
  async healthz(signal?: AbortSignal): Promise<WorkerResponse> {
    const url = new URL(this.base);
    url.pathname = `${this.basePath}/healthz`;
    return this.send(url, { method: "GET" }, "GET /healthz", { signal });
  }

  private async send(url: URL, init: RequestInit, operation: string, opts: { signal?: AbortSignal; extraTimeoutMs?: number }): Promise<WorkerResponse> {
    const timeout = AbortSignal.timeout(this.timeoutMs + (opts.extraTimeoutMs ?? 0));
    try {
      const res = await fetch(url, { ...init, signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      const cause = e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
      throw new WorkerRequestError(undefined, cause, operation);
    }
  }
}
