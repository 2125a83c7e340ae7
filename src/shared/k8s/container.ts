import { z } from "zod";
import { MAX_ARG_LENGTH, MAX_ARGS, MAX_ENV, MAX_IMAGE_LENGTH, MAX_PORTS, MAX_STRING_LENGTH, MAX_VOLUMES } from "./limits";
import { Dns1123Label, EnvVarName, PortName } from "./names";
import { NonNegativeQuantity, PositiveQuantity } from "./quantity";

export const PortNumber = z.int().min(1).max(65535);
/** `IntOrString` where a port is meant: a number 1-65535 or the name of a container port. */
export const PortNumberOrName = z.union([PortNumber, z.string().min(1).pipe(PortName)], { error: "expected a port number or a port name" });

/** A path in the machine's filesystem or a URL path: Linux's PATH_MAX. */
const PathString = z.string().max(MAX_STRING_LENGTH);
const Arg = z.string().max(MAX_ARG_LENGTH);
const Args = z.array(Arg).max(MAX_ARGS);

const Seconds = z.int().nonnegative();

export const ObjectFieldSelector = z.looseObject({ fieldPath: z.string().min(1), apiVersion: z.string().optional() });
export const ResourceFieldSelector = z.looseObject({
  resource: z.string().min(1),
  containerName: z.string().optional(),
  divisor: PositiveQuantity.optional(),
});
const KeySelector = z.looseObject({ name: z.string().optional(), key: z.string().min(1), optional: z.boolean().optional() });

export const EnvVar = z.looseObject({
  name: z.string().min(1).pipe(EnvVarName),
  value: Arg.optional(),
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
  containerPort: PortNumber,
  name: PortName.optional(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
  hostPort: z.int().min(0).max(65535).optional(),
  hostIP: z.string().optional(),
});
export type ContainerPort = z.infer<typeof ContainerPort>;

export const ResourceRequirements = z.looseObject({
  limits: z.record(z.string(), NonNegativeQuantity).optional(),
  requests: z.record(z.string(), NonNegativeQuantity).optional(),
  claims: z.array(z.looseObject({ name: z.string() })).optional(),
});
export type ResourceRequirements = z.infer<typeof ResourceRequirements>;

export const HTTPHeader = z.looseObject({ name: z.string().max(MAX_STRING_LENGTH), value: z.string().max(MAX_STRING_LENGTH) });

export const Probe = z.looseObject({
  exec: z.looseObject({ command: Args.optional() }).optional(),
  httpGet: z
    .looseObject({
      port: PortNumberOrName,
      path: PathString.optional(),
      host: z.string().max(253).optional(),
      scheme: z.enum(["HTTP", "HTTPS"]).optional(),
      httpHeaders: z.array(HTTPHeader).max(MAX_PORTS).optional(),
    })
    .optional(),
  tcpSocket: z.looseObject({ port: PortNumberOrName, host: z.string().max(253).optional() }).optional(),
  grpc: z.looseObject({ port: PortNumber, service: z.string().max(MAX_STRING_LENGTH).nullish() }).optional(),
  initialDelaySeconds: Seconds.optional(),
  timeoutSeconds: Seconds.optional(),
  periodSeconds: Seconds.optional(),
  successThreshold: Seconds.optional(),
  failureThreshold: Seconds.optional(),
  terminationGracePeriodSeconds: z.int().nullish(),
});
export type Probe = z.infer<typeof Probe>;

export const VolumeMount = z.looseObject({
  name: z.string().min(1).pipe(Dns1123Label),
  mountPath: z.string().min(1).pipe(PathString),
  readOnly: z.boolean().optional(),
  subPath: PathString.optional(),
  subPathExpr: PathString.optional(),
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
  name: z.string().min(1).pipe(Dns1123Label),
  image: z
    .string()
    .min(1)
    .max(MAX_IMAGE_LENGTH)
    .refine((s) => s.trim() === s, { error: "must not have leading or trailing whitespace" }),
  command: Args.optional(),
  args: Args.optional(),
  workingDir: PathString.optional(),
  ports: z.array(ContainerPort).max(MAX_PORTS).optional(),
  env: z.array(EnvVar).max(MAX_ENV).optional(),
  envFrom: z.array(EnvFromSource).max(MAX_ENV).optional(),
  resources: ResourceRequirements.optional(),
  volumeMounts: z.array(VolumeMount).max(MAX_VOLUMES).optional(),
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
