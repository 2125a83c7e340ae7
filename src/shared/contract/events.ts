import { z } from "zod";

/** Limits of one `POST /v1/clusters/{cluster}/events` (and of every signed body). */
export const MAX_EVENTS = 500;
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export const WATCH_EVENT_TYPES = ["ADDED", "MODIFIED", "DELETED"] as const;
export type WatchEventType = (typeof WATCH_EVENT_TYPES)[number];

/** One watch event as the relay sends it; `O` is the object as the sender holds it. */
export interface WatchEvent<O = unknown> {
  type: WatchEventType;
  object: O;
}

/** Body of `POST /events`: `{"events":[...]}`, at most MAX_EVENTS, each object a JSON object. */
export const eventsBodySchema = z.object({
  events: z
    .array(z.object({ type: z.enum(WATCH_EVENT_TYPES), object: z.record(z.string(), z.unknown()) }))
    .max(MAX_EVENTS, `at most ${MAX_EVENTS} events per request`),
});

/** What became of one event: the worker answers one result per event, in order. */
export const OUTCOMES = ["applied", "unchanged", "queued", "rejected", "ignored"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const eventResultSchema = z.object({
  uid: z.string(),
  kind: z.string(),
  outcome: z.enum(OUTCOMES),
  message: z.string().optional(),
});
export type EventResult = z.infer<typeof eventResultSchema>;

/** Answer of `POST /events`. */
export const eventsResponseSchema = z.object({ results: z.array(eventResultSchema) });
export type EventsResponse = z.infer<typeof eventsResponseSchema>;
