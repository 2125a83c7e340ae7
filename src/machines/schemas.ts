import { z } from "zod";
import type { MachineConfig } from "./machine-config";
import type { components } from "./openapi";

/**
 * Response schemas: only what machinelet reads is checked, everything else passes through.
 * Shapes follow the spec (`openapi.d.ts`) with the wire corrections of reference/machines-api.md.
 */
type S = components["schemas"];
export type { MachineConfig };
export type CreateMachineRequest = Omit<S["CreateMachineRequest"], "config"> & { config?: MachineConfig };
export type UpdateMachineRequest = Omit<S["UpdateMachineRequest"], "config"> & { config?: MachineConfig };
export type CreateVolumeRequest = S["CreateVolumeRequest"];
export type StopRequest = S["StopRequest"];
export type SignalName = NonNullable<S["SignalRequest"]["signal"]>;
export type ExecRequest = S["MachineExecRequest"];

export const machineEventSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string(),
  status: z.string().optional(),
  source: z.string().optional(),
  timestamp: z.number(),
  request: z.record(z.string(), z.unknown()).nullish(),
});
export type MachineEvent = z.infer<typeof machineEventSchema>;

export const checkStatusSchema = z.looseObject({
  name: z.string(),
  status: z.string(),
  output: z.string().optional(),
  updated_at: z.string().optional(),
});

export const machineSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  state: z.string(),
  region: z.string().optional(),
  instance_id: z.string().optional(),
  version: z.string().optional(),
  private_ip: z.string().optional(),
  config: z.custom<MachineConfig>((v) => typeof v === "object" && v !== null).optional(),
  checks: z.array(checkStatusSchema).nullish(),
  events: z.array(machineEventSchema).nullish(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  host_status: z.string().optional(),
  cordoned: z.boolean().optional(),
  nonce: z.string().optional(),
});
export type Machine = z.infer<typeof machineSchema>;

export const waitResponseSchema = z.looseObject({
  ok: z.boolean().optional(),
  state: z.string().optional(),
  version: z.string().optional(),
  event_id: z.string().optional(),
});

/** Wire shape of lease responses (the spec omits the envelope). */
export const leaseEnvelopeSchema = z.looseObject({
  status: z.string(),
  data: z.looseObject({
    nonce: z.string(),
    expires_at: z.number(),
    owner: z.string().optional(),
    description: z.string().optional(),
    version: z.string().optional(),
  }),
});
export type Lease = z.infer<typeof leaseEnvelopeSchema>["data"];

export const appSchema = z.looseObject({ id: z.string().optional(), name: z.string(), status: z.string().optional(), organization: z.looseObject({ slug: z.string().optional() }).optional() });
export const createAppResponseSchema = z.looseObject({ id: z.string().optional() });
export const listAppsSchema = z.looseObject({ apps: z.array(appSchema), next_cursor: z.string().optional() });

export const volumeSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  region: z.string().optional(),
  size_gb: z.number().optional(),
  attached_machine_id: z.string().nullish(),
});
export type Volume = z.infer<typeof volumeSchema>;
export const extendVolumeSchema = z.looseObject({ volume: volumeSchema, needs_restart: z.boolean().optional() });

export const appSecretSchema = z.looseObject({
  name: z.string(),
  digest: z.string().optional(),
  value: z.string().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});
export const appSecretsSchema = z.looseObject({ secrets: z.array(appSecretSchema) });
export const secretsWriteSchema = z.looseObject({ version: z.number() });

export const ipAssignmentSchema = z.looseObject({ ip: z.string(), region: z.string().optional(), shared: z.boolean().optional(), service_name: z.string().optional() });
export const listIpsSchema = z.looseObject({ ips: z.array(ipAssignmentSchema) });

export const execResponseSchema = z.looseObject({
  exit_code: z.number().optional(),
  exit_signal: z.number().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
});

export const metadataSchema = z.record(z.string(), z.string());

export const flyErrorSchema = z.looseObject({
  error: z.string().optional(),
  message: z.string().optional(),
  status: z.string().optional(),
});
