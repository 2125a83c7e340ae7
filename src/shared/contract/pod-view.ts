import { z } from "zod";

/** Answer of `GET /pods/{uid}`: what the worker holds of one pod and its machine. */
export const podViewSchema = z.object({
  uid: z.string(),
  namespace: z.string(),
  name: z.string(),
  machineId: z.string().nullable(),
  machineState: z.string().nullable(),
  status: z.record(z.string(), z.unknown()).nullable(),
});
export type PodView = z.infer<typeof podViewSchema>;
