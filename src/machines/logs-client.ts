import { z } from "zod";
import { classifyStatus, MachinesApiError } from "./errors";

/** One line of Fly's logs endpoint (fly-go `resource_logs.go`); fields Fly may omit are optional. */
const logEntrySchema = z.looseObject({
  id: z.string().optional(),
  attributes: z.looseObject({
    timestamp: z.string(),
    message: z.string(),
    level: z.string().optional(),
    instance: z.string().optional(),
    region: z.string().optional(),
    meta: z
      .looseObject({
        event: z.looseObject({ provider: z.string().optional() }).optional(),
        container: z.string().optional(),
      })
      .optional(),
  }),
});
const logsPageSchema = z.looseObject({
  data: z.array(logEntrySchema).nullable().transform((d) => d ?? []),
  meta: z.looseObject({ next_token: z.string().optional() }).optional(),
});
export type FlyLogEntry = z.infer<typeof logEntrySchema>["attributes"];

/** Lines Fly answers per call; a full page means more may be waiting. */
export const FLY_LOG_PAGE = 100;

/**
 * The adapter for Fly's logs endpoint, `GET {FLY_API_URL}/api/v1/apps/{app}/logs` (api.fly.io,
 * not the Machines API; fly-mapping.md §5). Failures are MachinesApiError with the same kinds.
 */
export class FlyLogsClient {
  private readonly baseUrl: string;
  constructor(private readonly opts: { baseUrl: string; token: string; timeoutMs?: number }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
  }

  async page(app: string, q: { instance?: string; nextToken?: string }): Promise<{ entries: FlyLogEntry[]; nextToken: string | undefined }> {
    const op = "logs";
    const url = new URL(`${this.baseUrl}/api/v1/apps/${encodeURIComponent(app)}/logs`);
    if (q.instance) url.searchParams.set("instance", q.instance);
    if (q.nextToken) url.searchParams.set("next_token", q.nextToken);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${this.opts.token}`, accept: "application/json" }, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000) });
      status = res.status;
      text = await res.text();
    } catch (e) {
      throw new MachinesApiError("transient", `${op}: ${e instanceof Error ? e.message : String(e)}`, undefined, op);
    }
    if (status < 200 || status > 299) throw new MachinesApiError(classifyStatus(status), `${op}: ${status}: ${text.slice(0, 200)}`, status, op);
    let parsed;
    try {
      parsed = logsPageSchema.parse(JSON.parse(text));
    } catch (e) {
      throw new MachinesApiError("transient", `${op}: unexpected response: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`, status, op);
    }
    return { entries: parsed.data.map((d) => d.attributes), nextToken: parsed.meta?.next_token || undefined };
  }
}
