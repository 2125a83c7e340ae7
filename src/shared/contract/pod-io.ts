/**
 * Wire shapes of the worker's pod I/O endpoints, parsed on both sides (the relay calls them for
 * the kubelet API; the worker answers them from Fly):
 *
 * `GET /v1/clusters/{cluster}/pods/{uid}/logs?container=&after=&platform=` (signed)
 *   -> 200 PodLogsPage: one page of the machine's log lines from Fly's logs endpoint, oldest first.
 *   Without `after`: the newest lines Fly has (at most 100, from the last 24 h); with `after` (a
 *   `next` this endpoint returned): the lines after it. Platform lines (flyd, proxy) only with
 *   `platform=true`. 404 unknown pod; 409 the pod has no machine yet; 502/503 Fly failed.
 *
 * `POST /v1/clusters/{cluster}/pods/{uid}/exec` (signed) PodExecRequest
 *   -> 200 PodExecResult (a non-zero exit is still a 200); 400; 404; 409 not running;
 *   504 the command ran past Fly's deadline; 502/503 Fly failed.
 */
import { z } from "zod";

/** Fly's exec deadline: longer commands answer 408 (fly-mapping.md §6). */
export const MAX_EXEC_TIMEOUT_S = 30;
/** flyctl caps exec stdin at 1 MB (fly-mapping.md §6). */
export const MAX_EXEC_STDIN_BYTES = 1_000_000;

export const podLogLineSchema = z.object({
  /** RFC 3339 with nanoseconds. */
  timestamp: z.string(),
  message: z.string(),
  /** `app` for the machine's own output; `runner`, `proxy`, ... for Fly's platform lines. */
  provider: z.string(),
  container: z.string().optional(),
});
export type PodLogLine = z.infer<typeof podLogLineSchema>;

export const podLogsPageSchema = z.object({
  machineId: z.string(),
  lines: z.array(podLogLineSchema),
  /** Pass back as `after` for the lines that follow. */
  next: z.string(),
  /** True when Fly answered a full page: more lines may follow at once. */
  more: z.boolean(),
});
export type PodLogsPage = z.infer<typeof podLogsPageSchema>;

export const podLogsQuerySchema = z.object({
  container: z.string().min(1).optional(),
  after: z.string().regex(/^\d{1,25}$/, "after must be a `next` this endpoint returned").optional(),
  platform: z.enum(["true", "false"]).optional(),
});

export const podExecRequestSchema = z.object({
  command: z.array(z.string()).min(1, "command must name a program"),
  container: z.string().min(1).optional(),
  stdin: z.string().refine((s) => new TextEncoder().encode(s).byteLength <= MAX_EXEC_STDIN_BYTES, `stdin is limited to ${MAX_EXEC_STDIN_BYTES} bytes on Fly`).optional(),
  timeoutSeconds: z.number().int().min(1).max(MAX_EXEC_TIMEOUT_S).optional(),
});
export type PodExecRequest = z.infer<typeof podExecRequestSchema>;

export const podExecResultSchema = z.object({
  exitCode: z.number().int(),
  exitSignal: z.number().int().optional(),
  stdout: z.string(),
  stderr: z.string(),
});
export type PodExecResult = z.infer<typeof podExecResultSchema>;
