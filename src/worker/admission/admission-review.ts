import type { AdmissionResponse, AdmissionReview } from "../../shared/contract";
import { reviewPod } from "./review-pod";
import { reviewService } from "./review-service";

/** The AdmissionReview v1 answer: same apiVersion/kind, the request's uid echoed. */
export function answerAdmission(review: AdmissionReview, cluster: string): AdmissionResponse {
  const { uid, kind, operation, subResource, object } = review.request;
  const respond = (response: Omit<AdmissionResponse["response"], "uid">): AdmissionResponse => ({ apiVersion: review.apiVersion, kind: review.kind, response: { uid, ...response } });
  const reviewed = kind.group === "" && !subResource && (operation === "CREATE" || operation === "UPDATE");
  if (!reviewed || (kind.kind !== "Pod" && kind.kind !== "Service")) return respond({ allowed: true });
  const pod = kind.kind === "Pod";
  const verdict = pod ? reviewPod(object, cluster) : reviewService(object);
  const warnings = verdict.warnings.length ? { warnings: verdict.warnings.map((w) => `machinelet: ${w}`) } : {};
  if (verdict.allowed) return respond({ allowed: true, ...warnings });
  const what = pod ? "run this pod as a Fly Machine" : "give this Service a Fly address";
  return respond({
    allowed: false,
    status: { code: 403, reason: "Forbidden", message: `machinelet cannot ${what}: ${verdict.denials.join("; ")}` },
    ...warnings,
  });
}
