/**
 * Raw JSON requests to the Kubernetes API server, authenticated exactly as client-node's own
 * clients are (KubeConfig.applySecurityAuthentication: token, client certificate, CA, proxy).
 * Raw rather than the generated clients because their model (de)serialisation drops unknown
 * fields, rewrites timestamps and omits kind/apiVersion from list items (kubernetes-side.md §1.2).
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, RequestContext } from "@kubernetes/client-node";

/** A Kubernetes object as the API server sends it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList {
  metadata?: { resourceVersion?: string; continue?: string };
  items: KubeObject[];
}

/** A non-2xx answer of the API server, with the reason of its Status body when there is one. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${status}${reason ? ` ${reason}` : ""}: ${message}`);
  }
}

export const isStatus = (err: unknown, ...codes: number[]): boolean => err instanceof KubeApiError && codes.includes(err.status);

/** No answer from the API server (a refused, reset or timed-out connection, or the caller's abort). */
export class KubeNoAnswer extends Error {
  override readonly name = "KubeNoAnswer";
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(`${operation}: no answer`, { cause });
  }
}

/** 5xx, 408, 429 or no answer may pass when tried again; any other refusal would be the same next time. */
export const isTransientKubeError = (e: unknown): boolean =>
  e instanceof KubeNoAnswer || (e instanceof KubeApiError && (e.status >= 500 || e.status === 408 || e.status === 429));

export interface KubeRequest {
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** Loads the configuration the way the options ask; errors name the source that failed. */
export function loadKubeConfig(opts: { kubeconfigPath?: string; inCluster: boolean }): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfigPath) kc.loadFromFile(opts.kubeconfigPath);
    else if (opts.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (e) {
    const source = opts.kubeconfigPath ?? (opts.inCluster ? "in-cluster config" : "default kubeconfig");
    throw new Error(`cannot load ${source}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!kc.getCurrentCluster()) throw new Error("the kubeconfig has no current cluster");
  return kc;
}

export class KubeApi {
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly server: string;
  /** The first request's connection pool, reused: applySecurityAuthentication builds a new one per call. */
  private dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    this.server = kubeConfig.getCurrentCluster()!.server.replace(/\/+$/, "");
  }

  /** The parsed JSON body of a 2xx answer; throws KubeApiError for any other answer, KubeNoAnswer without one. */
  async request<T = unknown>(method: keyof typeof HttpMethod, path: string, req: KubeRequest = {}): Promise<T> {
    const operation = `${method} ${path.split("?")[0]}`;
    const ctx = new RequestContext(this.server + path, HttpMethod[method]);
    ctx.setHeaderParam("Accept", "application/json");
    if (req.body !== undefined) {
      ctx.setHeaderParam("Content-Type", req.contentType ?? "application/json");
      ctx.setBody(JSON.stringify(req.body));
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    ctx.setSignal(req.signal ? AbortSignal.any([req.signal, timeout]) : timeout);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    if (this.dispatcher) ctx.setDispatcher(this.dispatcher);
    else this.dispatcher = ctx.getDispatcher();
    let status: number;
    let text: string;
    try {
      const res = await this.http.send(ctx).toPromise();
      status = res.httpStatusCode;
      text = await res.body.text();
    } catch (e) {
      throw new KubeNoAnswer(operation, e);
    }
    if (status < 200 || status > 299) {
      let reason: string | undefined;
      let message = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { reason?: string; message?: string };
        reason = body.reason;
        message = body.message ?? message;
      } catch {
        // not a Status body: keep the text
      }
      throw new KubeApiError(status, reason, message, operation);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
