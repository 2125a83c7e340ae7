import type { MachineRecord } from "../model";
import type { EmulatorState } from "../state";

/**
 * The ports a started machine's processes listen on, as far as the emulator can tell without
 * running its image: every service `internal_port`, every check and healthcheck port, and the
 * ports `config.imagePorts` declares for its image(s) (what an image's EXPOSE would say).
 */
export function declaredPorts(st: EmulatorState, m: MachineRecord): number[] {
  const ports = new Set<number>();
  const add = (p: unknown) => {
    if (typeof p === "number" && Number.isInteger(p) && p > 0 && p < 65536) ports.add(p);
  };
  for (const s of m.config.services ?? []) {
    add(s.internal_port);
    for (const c of s.checks ?? []) add(c.port);
  }
  for (const c of Object.values(m.config.checks ?? {})) add(c.port);
  const images = [m.config.image, ...(m.config.containers ?? []).map((c) => c.image)];
  for (const c of m.config.containers ?? []) {
    for (const h of (c.healthchecks ?? []) as { tcp?: { port?: unknown }; http?: { port?: unknown } }[]) add(h.tcp?.port ?? h.http?.port);
  }
  for (const image of images) for (const p of st.config.imagePorts[image] ?? []) add(p);
  return [...ports].sort((a, b) => a - b);
}

/** Single ports the app's services expose on every one of its addresses (ranges only up to 64 ports). */
export function servicePorts(machines: Iterable<MachineRecord>): number[] {
  const ports = new Set<number>();
  for (const m of machines) {
    if (m.state === "destroyed") continue;
    for (const s of m.config.services ?? []) {
      for (const p of s.ports ?? []) {
        if (p.port !== undefined) ports.add(p.port);
        else if (p.start_port !== undefined && p.end_port !== undefined && p.end_port - p.start_port < 64) {
          for (let q = p.start_port; q <= p.end_port; q++) ports.add(q);
        }
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}
