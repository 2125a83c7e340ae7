import type { MachineConfig } from "../machine-config";
import type { MachineRecord } from "../model";
import type { EmulatorState } from "../state";

export type CheckStatus = "passing" | "warning" | "critical";
type Service = NonNullable<MachineConfig["services"]>[number];
type ServiceCheck = NonNullable<Service["checks"]>[number];

/**
 * Name of a service-level check as Fly reports it: `servicecheck-<service index, 2 digits>-<type>-<port>`
 * (the form `fly checks list` shows; inferred, Fly does not document it).
 */
export function serviceCheckName(serviceIndex: number, check: ServiceCheck, service: Service): string {
  return `servicecheck-${String(serviceIndex).padStart(2, "0")}-${check.type ?? "tcp"}-${check.port ?? service.internal_port ?? 0}`;
}

/**
 * Status of one check of a machine: a machine that is not started fails every check; a started
 * one reports its per-check override (`PUT /_emulator/apps/{app}/machines/{id}/checks`), else the
 * override for every check ("*"), else `config.checkStatus`.
 */
export function checkStatus(st: EmulatorState, m: MachineRecord, name: string): CheckStatus {
  if (m.state !== "started") return "critical";
  return m.checkOverrides?.[name] ?? m.checkOverrides?.["*"] ?? st.config.checkStatus;
}

/**
 * Names of the checks a machine reports in `checks[]`: its machine `checks` and the named
 * healthchecks of its containers (reported under their own name; Fly documents no other form,
 * and its spec has `CheckStatus` carry only a name). Service checks are left out (module README).
 */
export function reportedCheckNames(m: MachineRecord): string[] {
  const names = new Set(Object.keys(m.config.checks ?? {}));
  for (const c of m.config.containers ?? []) {
    for (const h of (c.healthchecks ?? []) as { name?: unknown }[]) if (typeof h.name === "string" && h.name) names.add(h.name);
  }
  return [...names].sort();
}

/** True when every check of the service passes: Fly Proxy routes only to such machines (health-checks docs). */
export function serviceChecksPass(st: EmulatorState, m: MachineRecord, serviceIndex: number): boolean {
  const service = m.config.services?.[serviceIndex];
  if (!service) return false;
  return (service.checks ?? []).every((check) => checkStatus(st, m, serviceCheckName(serviceIndex, check, service)) === "passing");
}
