import { z } from "zod";

/**
 * Body of `POST /admission` (unsigned, called by the API server): an AdmissionReview v1 request.
 * Only what the worker reads is checked; everything else passes through.
 */
export const admissionReviewSchema = z.looseObject({
  apiVersion: z.literal("admission.k8s.io/v1"),
  kind: z.literal("AdmissionReview"),
  request: z.looseObject({
    uid: z.string().min(1),
    kind: z.looseObject({ group: z.string(), version: z.string(), kind: z.string() }),
    operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
    subResource: z.string().optional(),
    object: z.unknown().optional(),
  }),
});
export type AdmissionReview = z.infer<typeof admissionReviewSchema>;

/** The answer: same apiVersion and kind, the request's uid echoed. */
export const admissionResponseSchema = z.object({
  apiVersion: z.literal("admission.k8s.io/v1"),
  kind: z.literal("AdmissionReview"),
  response: z.object({
    uid: z.string().min(1),
    allowed: z.boolean(),
    warnings: z.array(z.string()).optional(),
    status: z.object({ code: z.number().int(), reason: z.string(), message: z.string() }).optional(),
  }),
});
export type AdmissionResponse = z.infer<typeof admissionResponseSchema>;
