/**
 * The HTTP side of the Machines API adapter (client.ts): one request under one deadline, the
 * response parsed with its zod schema, every failure a classified `MachinesApiError`.
 */
import { z } from "zod";
import { classifyStatus, DEFAULT_RATE_LIMIT_WAIT_MS, MachinesApiError } from "./errors";
import { flyErrorSchema } from "./schemas";

export interface MachinesClientOptions {
  baseUrl: string;
  token: string;
  /** Per-request timeout; `wait` adds its own server-side timeout on top. Default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;
export interface RequestSpec<T> {
  op: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  nonce?: string;
  schema?: z.ZodType<T>;
  extraTimeoutMs?: number;
}

export interface Reply {
  status: number;
  ok: boolean;
  statusText: string;
  headers: Headers;
  text: string;
}

/** The schema of an answer whose body does not matter. */
export const noContent = z.unknown();

export class MachinesTransport {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: MachinesClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  async request<T>(spec: RequestSpec<T>): Promise<T> {
    const reply = await this.send(spec);
    return this.parse(spec.op, reply, spec.schema ?? (noContent as z.ZodType<T>));
  }

  /**
   * One HTTP exchange, body included, under one deadline. The timer is cleared as soon as the
   * exchange ends: a pending timer would keep a Durable Object from being evicted.
   */
  async send(spec: RequestSpec<unknown>): Promise<Reply> {
    const url = new URL(this.baseUrl + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v === undefined) continue;
      url.searchParams.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: "application/json" };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    if (spec.nonce) headers["fly-machine-lease-nonce"] = spec.nonce;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs + (spec.extraTimeoutMs ?? 0));
    let reply: Reply;
    try {
      const res = await this.fetchFn(url.toString(), {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: abort.signal,
      });
      reply = { status: res.status, ok: res.ok, headers: res.headers, text: await res.text(), statusText: res.statusText };
    } catch (e) {
      const why = abort.signal.aborted ? "timed out" : `network error: ${e instanceof Error ? e.message : String(e)}`;
      throw new MachinesApiError("transient", `${spec.op}: ${why}`, undefined, spec.op);
    } finally {
      clearTimeout(timer);
    }
    if (reply.ok) return reply;
    throw toError(spec.op, reply);
  }

  parse<T>(op: string, reply: Reply, schema: z.ZodType<T>): T {
    let json: unknown = undefined;
    if (reply.text.length > 0) {
      try {
        json = JSON.parse(reply.text);
      } catch {
        throw new MachinesApiError("transient", `${op}: response is not JSON (${reply.status})`, reply.status, op);
      }
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MachinesApiError("transient", `${op}: unexpected response shape at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`, reply.status, op);
    }
    return parsed.data;
  }
}

function toError(op: string, reply: Reply): MachinesApiError {
  let message = reply.text.slice(0, 500) || reply.statusText;
  let flyStatus: string | undefined;
  try {
    const body = flyErrorSchema.parse(JSON.parse(reply.text));
    message = body.error ?? body.message ?? message;
    flyStatus = body.status;
  } catch {
    // not Fly's JSON error body: keep the raw text
  }
  const kind = classifyStatus(reply.status);
  const retryAfter = Number(reply.headers.get("retry-after"));
  const retryAfterMs = kind === "rate_limited" ? (retryAfter > 0 ? retryAfter * 1000 : DEFAULT_RATE_LIMIT_WAIT_MS) : undefined;
  return new MachinesApiError(kind, `${op}: ${reply.status} ${message}`, reply.status, op, retryAfterMs, flyStatus);
}
