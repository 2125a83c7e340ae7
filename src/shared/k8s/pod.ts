import { z } from "zod";
import { Container, ResourceRequirements, SecurityContext } from "./container";
import { StoredObjectMeta } from "./object-meta";
import { PodStatus } from "./pod-status";
import { Volume } from "./volume";

export const RestartPolicy = z.enum(["Always", "OnFailure", "Never"]);
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const PodSecurityContext = SecurityContext.omit({
  privileged: true,
  allowPrivilegeEscalation: true,
  readOnlyRootFilesystem: true,
  capabilities: true,
  procMount: true,
}).extend({
  fsGroup: z.int().optional(),
  fsGroupChangePolicy: z.string().optional(),
  supplementalGroups: z.array(z.int()).optional(),
  sysctls: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
});

/**
 * `core/v1 PodSpec`: the fields machinelet translates or must report, plus the required ones.
 * Scheduling-only fields (affinity, tolerations, nodeSelector, priority, ...) pass through unchecked.
 */
export const PodSpec = z.looseObject({
  containers: z.array(Container).min(1),
  initContainers: z.array(Container).optional(),
  ephemeralContainers: z.array(z.looseObject({ name: z.string() })).optional(),
  restartPolicy: RestartPolicy.optional(),
  terminationGracePeriodSeconds: z.int().nonnegative().optional(),
  activeDeadlineSeconds: z.int().positive().optional(),
  nodeName: z.string().optional(),
  volumes: z.array(Volume).optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  hostUsers: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  securityContext: PodSecurityContext.optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  dnsPolicy: z.enum(["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]).optional(),
  dnsConfig: z
    .looseObject({
      nameservers: z.array(z.string()).optional(),
      searches: z.array(z.string()).optional(),
      options: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
    })
    .optional(),
  hostAliases: z.array(z.looseObject({ ip: z.string(), hostnames: z.array(z.string()).optional() })).optional(),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  serviceAccountName: z.string().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  enableServiceLinks: z.boolean().optional(),
  readinessGates: z.array(z.looseObject({ conditionType: z.string() })).optional(),
  os: z.looseObject({ name: z.string() }).optional(),
  resources: ResourceRequirements.optional(),
  resourceClaims: z.array(z.looseObject({ name: z.string() })).optional(),
});
export type PodSpec = z.infer<typeof PodSpec>;

/** A stored `core/v1 Pod` as a watch event carries it. */
export const Pod = z.looseObject({
  apiVersion: z.literal("v1").optional(),
  kind: z.literal("Pod").optional(),
  metadata: StoredObjectMeta,
  spec: PodSpec,
  status: PodStatus.optional(),
});
export type Pod = z.infer<typeof Pod>;
