import { z } from "zod";

/** Contract limits for one POST /events. */
export const MAX_EVENTS = 500;
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export const eventsBodySchema = z.object({
  events: z
    .array(
      z.object({
        type: z.enum(["ADDED", "MODIFIED", "DELETED"]),
        object: z.record(z.string(), z.unknown()),
      }),
    )
    .max(MAX_EVENTS, `at most ${MAX_EVENTS} events per request`),
});
