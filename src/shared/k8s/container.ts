import { z } from "zod";
import { Quantity } from "./quantity";

/** `IntOrString`: a port number or the name of a container port. */
export const IntOrString = z.union([z.int(), z.string().min(1)], { error: "expected an integer or a string" });

const Seconds = z.int().nonnegative();

export const ObjectFieldSelector = z.looseObject({ fieldPath: z.string().min(1), apiVersion: z.string().optional() });
export const ResourceFieldSelector = z.looseObject({
  resource: z.string().min(1),
  containerName: z.string().optional(),
  divisor: Quantity.optional(),
});
const KeySelector = z.looseObject({ name: z.string().optional(), key: z.string().min(1), optional: z.boolean().optional() });

export const EnvVar = z.looseObject({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      fieldRef: ObjectFieldSelector.optional(),
      resourceFieldRef: ResourceFieldSelector.optional(),
      configMapKeyRef: KeySelector.optional(),
      secretKeyRef: KeySelector.optional(),
      fileKeyRef: z.looseObject({}).optional(),
    })
    .optional(),
});
export type EnvVar = z.infer<typeof EnvVar>;

const NamedRef = z.looseObject({ name: z.string().optional(), optional: z.boolean().optional() });
export const EnvFromSource = z.looseObject({
  prefix: z.string().optional(),
  configMapRef: NamedRef.optional(),
  secretRef: NamedRef.optional(),
});
export type EnvFromSource = z.infer<typeof EnvFromSource>;

export const ContainerPort = z.looseObject({
  containerPort: z.int().min(1).max(65535),
  name: z.string().optional(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
  hostPort: z.int().optional(),
  hostIP: z.string().optional(),
});
export type ContainerPort = z.infer<typeof ContainerPort>;

export const ResourceRequirements = z.looseObject({
  limits: z.record(z.string(), Quantity).optional(),
  requests: z.record(z.string(), Quantity).optional(),
  claims: z.array(z.looseObject({ name: z.string() })).optional(),
});
export type ResourceRequirements = z.infer<typeof ResourceRequirements>;

export const HTTPHeader = z.looseObject({ name: z.string(), value: z.string() });

export const Probe = z.looseObject({
  exec: z.looseObject({ command: z.array(z.string()).optional() }).optional(),
  httpGet: z
    .looseObject({
      port: IntOrString,
      path: z.string().optional(),
      host: z.string().optional(),
      scheme: z.enum(["HTTP", "HTTPS"]).optional(),
      httpHeaders: z.array(HTTPHeader).optional(),
    })
    .optional(),
  tcpSocket: z.looseObject({ port: IntOrString, host: z.string().optional() }).optional(),
  grpc: z.looseObject({ port: z.int(), service: z.string().nullish() }).optional(),
  initialDelaySeconds: Seconds.optional(),
  timeoutSeconds: Seconds.optional(),
  periodSeconds: Seconds.optional(),
  successThreshold: Seconds.optional(),
  failureThreshold: Seconds.optional(),
  terminationGracePeriodSeconds: z.int().nullish(),
});
export type Probe = z.infer<typeof Probe>;

export const VolumeMount = z.looseObject({
  name: z.string().min(1),
  mountPath: z.string().min(1),
  readOnly: z.boolean().optional(),
  subPath: z.string().optional(),
  subPathExpr: z.string().optional(),
  mountPropagation: z.string().optional(),
  recursiveReadOnly: z.string().optional(),
});
export type VolumeMount = z.infer<typeof VolumeMount>;

export const SecurityContext = z.looseObject({
  runAsUser: z.int().optional(),
  runAsGroup: z.int().optional(),
  runAsNonRoot: z.boolean().optional(),
  privileged: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  capabilities: z.looseObject({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() }).optional(),
  procMount: z.string().optional(),
  seccompProfile: z.looseObject({ type: z.string() }).optional(),
  appArmorProfile: z.looseObject({ type: z.string() }).optional(),
  seLinuxOptions: z.looseObject({}).optional(),
  windowsOptions: z.looseObject({}).optional(),
});
export type SecurityContext = z.infer<typeof SecurityContext>;

/** `core/v1 Container`, used for containers and initContainers. `image` is required, as pod validation demands. */
export const Container = z.looseObject({
  name: z.string().min(1),
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: z.array(ContainerPort).optional(),
  env: z.array(EnvVar).optional(),
  envFrom: z.array(EnvFromSource).optional(),
  resources: ResourceRequirements.optional(),
  volumeMounts: z.array(VolumeMount).optional(),
  volumeDevices: z.array(z.looseObject({ name: z.string(), devicePath: z.string() })).optional(),
  livenessProbe: Probe.optional(),
  readinessProbe: Probe.optional(),
  startupProbe: Probe.optional(),
  lifecycle: z
    .looseObject({ postStart: z.looseObject({}).optional(), preStop: z.looseObject({}).optional(), stopSignal: z.string().optional() })
    .optional(),
  securityContext: SecurityContext.optional(),
  /** Only `Always` on an init container (a native sidecar) in released Kubernetes; rules are alpha. */
  restartPolicy: z.enum(["Always", "OnFailure", "Never"]).optional(),
  restartPolicyRules: z.array(z.looseObject({ action: z.string() })).optional(),
  imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.string().optional(),
});
export type Container = z.infer<typeof Container>;
