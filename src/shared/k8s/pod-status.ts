import { z } from "zod";

const ConditionStatus = z.enum(["True", "False", "Unknown"]);

export const PodCondition = z.looseObject({
  type: z.string().min(1),
  status: ConditionStatus,
  lastProbeTime: z.string().nullish(),
  lastTransitionTime: z.string().nullish(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type PodCondition = z.infer<typeof PodCondition>;

export const ContainerStateTerminated = z.looseObject({
  exitCode: z.int(),
  signal: z.int().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  startedAt: z.string().nullish(),
  finishedAt: z.string().nullish(),
  containerID: z.string().optional(),
});
export const ContainerState = z.looseObject({
  waiting: z.looseObject({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.looseObject({ startedAt: z.string().nullish() }).optional(),
  terminated: ContainerStateTerminated.optional(),
});
export type ContainerState = z.infer<typeof ContainerState>;

export const ContainerStatus = z.looseObject({
  name: z.string(),
  ready: z.boolean(),
  restartCount: z.int(),
  image: z.string(),
  imageID: z.string(),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
  state: ContainerState.optional(),
  lastState: ContainerState.optional(),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

const IP = z.looseObject({ ip: z.string() });

/** `core/v1 PodStatus`, the fields a kubelet writes. */
export const PodStatus = z.looseObject({
  phase: z.enum(["Pending", "Running", "Succeeded", "Failed", "Unknown"]).optional(),
  conditions: z.array(PodCondition).optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(IP).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(IP).optional(),
  startTime: z.string().nullish(),
  qosClass: z.string().optional(),
  containerStatuses: z.array(ContainerStatus).optional(),
  initContainerStatuses: z.array(ContainerStatus).optional(),
});
export type PodStatus = z.infer<typeof PodStatus>;
