import { z } from "zod";

/** Longest long-poll of `GET /status?wait=<s>`. */
export const MAX_FEED_WAIT_S = 30;

/** One pod's status change; `gone: true` follows a confirmed destroy (the relay then deletes the pod). */
export const feedEntrySchema = z.object({
  uid: z.string().min(1),
  namespace: z.string().min(1),
  name: z.string().min(1),
  status: z.record(z.string(), z.unknown()).nullable(),
  gone: z.boolean(),
});
export type FeedEntry = z.infer<typeof feedEntrySchema>;

/** Answer of `GET /status?after=<cursor>&wait=<s>`: entries after `after`, and the cursor to ask next. */
export const feedPageSchema = z.object({ cursor: z.string().regex(/^\d+$/), pods: z.array(feedEntrySchema) });
export type FeedPage = z.infer<typeof feedPageSchema>;
