import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** `ErrorResponse.status` values of the spec (`main.statusCode`). */
export type FlyStatusCode = "unknown" | "insufficient_capacity" | "volume_placement_capacity" | "name_taken";

/**
 * An error answered the way Fly answers it: `{"error": "...", "status"?: "..."}`. Messages keep
 * Fly's gRPC-style prefixes (`failed_precondition:`, `deadline_exceeded:`) where Fly uses them.
 */
export class FlyError extends Error {
  constructor(
    readonly httpStatus: ContentfulStatusCode,
    message: string,
    readonly code?: FlyStatusCode,
  ) {
    super(message);
  }

  body(): { error: string; status?: FlyStatusCode } {
    return this.code ? { error: this.message, status: this.code } : { error: this.message };
  }
}

export const badRequest = (message: string) => new FlyError(400, message);
export const notFound = (what: "app" | "machine" | "volume" | "secret" | "lease" | "ip assignment" | "metadata key" | "machine version") =>
  new FlyError(404, `${what} not found`);
export const conflict = (message: string) => new FlyError(409, message);
export const failedPrecondition = (message: string) => new FlyError(412, `failed_precondition: ${message}`);

export function errorResponse(err: Error, c: Context): Response {
  if (err instanceof FlyError) return c.json(err.body(), err.httpStatus);
  console.error("machines emulator: unexpected error", err);
  return c.json({ error: `internal error: ${err.message}` }, 500);
}
