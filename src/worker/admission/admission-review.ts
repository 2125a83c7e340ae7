import type { AdmissionResponse, AdmissionReview } from "../../shared/contract";
import { reviewPod } from "./review-pod";

/** The AdmissionReview v1 answer: same apiVersion/kind, the request's uid echoed. */
export function answerAdmission(review: AdmissionReview, cluster: string): AdmissionResponse {
  const { uid, kind, operation, subResource, object } = review.request;
  const respond = (response: Omit<AdmissionResponse["response"], "uid">): AdmissionResponse => ({ apiVersion: review.apiVersion, kind: review.kind, response: { uid, ...response } });
  if (kind.kind !== "Pod" || kind.group !== "" || subResource || (operation !== "CREATE" && operation !== "UPDATE")) {
    return respond({ allowed: true });
  }
  const verdict = reviewPod(object, cluster);
  const warnings = verdict.warnings.length ? { warnings: verdict.warnings.map((w) => `machinelet: ${w}`) } : {};
  if (verdict.allowed) return respond({ allowed: true, ...warnings });
  return respond({
    allowed: false,
    status: { code: 403, reason: "Forbidden", message: `machinelet cannot run this pod as a Fly Machine: ${verdict.denials.join("; ")}` },
    ...warnings,
  });
}
