import { z } from "zod";
import type { EventResult, WatchEvent } from "../../shared/contract";
import { formatPath } from "../../shared/k8s";
import { screenObject } from "./object-screen";

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

/**
 * Applies the events that pass the object screen and answers the others `rejected` (naming where
 * the limit was crossed) without handing them to the cluster object; results stay in request order.
 */
export async function applyScreened(events: WatchEvent[], apply: (events: WatchEvent[]) => Promise<EventResult[]>): Promise<EventResult[]> {
  const refusals = events.map((e) => screenObject(e.object));
  const passed = events.filter((_, i) => !refusals[i]);
  const applied = passed.length ? await apply(passed) : [];
  let next = 0;
  return events.map((event, i) => {
    const refusal = refusals[i];
    if (!refusal) return applied[next++]!;
    const raw = event.object as { kind?: unknown; metadata?: { uid?: unknown } };
    const uid = typeof raw.metadata?.uid === "string" ? raw.metadata.uid.slice(0, 128) : "";
    const kind = typeof raw.kind === "string" ? raw.kind.slice(0, 64) : "";
    return { uid, kind, outcome: "rejected", message: `${formatPath(refusal.path)}: ${refusal.why}` };
  });
}
