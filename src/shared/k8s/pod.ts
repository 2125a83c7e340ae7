import { z } from "zod";
import { Container, ResourceRequirements, SecurityContext } from "./container";
import { StoredObjectMeta } from "./object-meta";
import { PodStatus } from "./pod-status";
import { Volume } from "./volume";
import { MAX_CONTAINERS, MAX_VOLUMES } from "./limits";
import { Dns1123Label, Dns1123Subdomain } from "./names";

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
  containers: z.array(Container).min(1).max(MAX_CONTAINERS),
  initContainers: z.array(Container).max(MAX_CONTAINERS).optional(),
  ephemeralContainers: z.array(z.looseObject({ name: z.string() })).optional(),
  restartPolicy: RestartPolicy.optional(),
  terminationGracePeriodSeconds: z.int().nonnegative().optional(),
  activeDeadlineSeconds: z.int().positive().optional(),
  nodeName: Dns1123Subdomain.optional(),
  volumes: z.array(Volume).max(MAX_VOLUMES).optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  hostUsers: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  securityContext: PodSecurityContext.optional(),
  hostname: Dns1123Label.optional(),
  subdomain: Dns1123Label.optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  dnsPolicy: z.enum(["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]).optional(),
  dnsConfig: z
    .looseObject({
      nameservers: z.array(z.string().max(253)).max(3).optional(),
      searches: z.array(z.string().max(253)).max(32).optional(),
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
}).superRefine((spec, ctx) => {
  // Container names are unique across containers and init containers, as the API server demands.
  const seen = new Set<string>();
  for (const field of ["initContainers", "containers"] as const) {
    (spec[field] ?? []).forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: "custom", path: [field, i, "name"], message: `Duplicate value: ${JSON.stringify(c.name)}` });
      seen.add(c.name);
    });
  }
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
