import { z } from "zod";
import { MAX_PORTS } from "./limits";
import { PortNumberOrName } from "./container";
import { Dns1035Label, Dns1123Label } from "./names";
import { Labels, storedObjectMeta } from "./object-meta";

export const ServicePort = z.looseObject({
  name: Dns1123Label.optional(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
  appProtocol: z.string().optional(),
  port: z.int().min(1).max(65535),
  targetPort: PortNumberOrName.optional(),
  nodePort: z.int().optional(),
});
export type ServicePort = z.infer<typeof ServicePort>;

/** A stored `core/v1 Service`: what the Flycast mapping reads (type, selector, ports, cluster IPs). */
export const Service = z.looseObject({
  apiVersion: z.literal("v1").optional(),
  kind: z.literal("Service").optional(),
  metadata: storedObjectMeta(Dns1035Label),
  spec: z
    .looseObject({
      type: z.enum(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]).optional(),
      selector: Labels.nullish(),
      ports: z.array(ServicePort).max(MAX_PORTS).optional(),
      clusterIP: z.string().optional(),
      clusterIPs: z.array(z.string()).optional(),
      ipFamilies: z.array(z.string()).optional(),
      ipFamilyPolicy: z.string().optional(),
      publishNotReadyAddresses: z.boolean().optional(),
      externalName: z.string().optional(),
      sessionAffinity: z.enum(["None", "ClientIP"]).optional(),
      externalTrafficPolicy: z.string().optional(),
      loadBalancerClass: z.string().optional(),
      loadBalancerSourceRanges: z.array(z.string()).optional(),
    })
    .optional(),
});
export type Service = z.infer<typeof Service>;

/**
 * Whether machinelet is the Service's load balancer: a LoadBalancer without `spec.loadBalancerClass`.
 * machinelet is the cluster's default implementation and has no class of its own; a Service naming
 * a class is that class's controller's (MetalLB, Cilium, a cloud's), as the API says ("any default
 * load balancer implementation ... should ignore Services that set this field") and as the upstream
 * service controller (cloud-provider `wantsLoadBalancer`) does. Such a Service gets no public
 * addresses and no ingress from machinelet, only its Flycast address.
 */
export function frontsLoadBalancer(spec: { type?: string; loadBalancerClass?: string } | undefined): boolean {
  return spec?.type === "LoadBalancer" && !spec.loadBalancerClass;
}
