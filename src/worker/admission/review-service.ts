import { z } from "zod";
import { formatPath, ObjectMeta, Service } from "../../shared/k8s";
import { flyAnnotationProblems } from "../translate/service-annotations";
import type { PodVerdict } from "./review-pod";

/** A Service as admission sees it: at CREATE it has no uid or resourceVersion yet. */
const AdmittedService = z.looseObject({ metadata: ObjectMeta.optional(), spec: Service.shape.spec });

/**
 * Decides whether a Service can be given a Fly address. Pure. Denies what Fly Proxy cannot carry:
 * `NodePort` (a Fly app has no nodes whose ports could be opened: LoadBalancer gives a public
 * address with exactly the Service's ports, ClusterIP a private one) and UDP or SCTP ports on a
 * Service that is proxied (Flycast carries TCP only). A headless Service is not proxied (its names
 * resolve to the pods' 6PN addresses, which carry UDP), so its UDP ports are fine; and a
 * `service.fly.io/*` annotation value Fly would refuse (service-annotations.ts). Accepted with a
 * warning: `sessionAffinity: ClientIP`, LoadBalancer fields Fly has no equivalent for, and an
 * IPv4-only family request (Fly addresses are IPv6).
 */
export function reviewService(raw: unknown): PodVerdict {
  const parsed = AdmittedService.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { allowed: false, denials: [`${formatPath(issue.path)}: ${issue.message}`], warnings: [] };
  }
  const spec = parsed.data.spec ?? {};
  const denials: string[] = [];
  const warnings: string[] = [];
  const type = spec.type ?? "ClusterIP";
  if (type === "ExternalName") return { allowed: true, denials, warnings };
  if (type === "NodePort") {
    denials.push("spec.type: NodePort has no equivalent on Fly (there are no nodes whose ports could be opened); use LoadBalancer for a public address with only this Service's ports, or ClusterIP");
  }
  const headless = spec.clusterIP === "None";
  (spec.ports ?? []).forEach((p, i) => {
    const protocol = p.protocol ?? "TCP";
    if (protocol !== "TCP" && !headless) {
      denials.push(`spec.ports[${i}].protocol: ${protocol} cannot be proxied through a Fly address (Flycast carries TCP only); use TCP, or a headless Service (clusterIP: None) whose names resolve to the pods`);
    }
  });
  denials.push(...flyAnnotationProblems({ metadata: { annotations: parsed.data.metadata?.annotations ?? {} }, spec } as Parameters<typeof flyAnnotationProblems>[0]));
  if (spec.sessionAffinity === "ClientIP") {
    warnings.push("spec.sessionAffinity: Fly Proxy balances every connection on its own (by load and closeness), so connections from one client may reach different pods");
  }
  if (type === "LoadBalancer") {
    if (spec.externalTrafficPolicy === "Local") warnings.push("spec.externalTrafficPolicy: Local is not honoured; Fly Proxy delivers to any Ready pod and the pod sees the proxy's address");
    if (spec.loadBalancerSourceRanges?.length) {
      warnings.push("spec.loadBalancerSourceRanges: Fly's public addresses cannot be limited to source ranges; the Service is reachable from anywhere");
    }
  }
  if (!headless && spec.ipFamilies?.length === 1 && spec.ipFamilies[0] === "IPv4") {
    warnings.push("spec.ipFamilies: the Service's Fly address is IPv6 (Flycast); clients must connect over IPv6");
  }
  return { allowed: denials.length === 0, denials, warnings };
}
