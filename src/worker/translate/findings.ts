/**
 * What a translation could not do exactly, each entry `"<field path>: <why>"`:
 * - `errors`: no Machine can be made for the pod as it stands (too big, unknown GPU, missing Secret key, ...);
 * - `unsupported`: the Machine runs, but without behaviour the pod asks for (host ports, lifecycle hooks, ...);
 * - `warnings`: the Machine does what the pod asks, approximately (a check that does not restart, hardening not enforced, ...).
 */
export interface Findings {
  errors: string[];
  unsupported: string[];
  warnings: string[];
}

export class FindingsLog implements Findings {
  readonly errors: string[] = [];
  readonly unsupported: string[] = [];
  readonly warnings: string[] = [];

  error(path: string, why: string): void {
    this.errors.push(`${path}: ${why}`);
  }
  notHonoured(path: string, why: string): void {
    this.unsupported.push(`${path}: ${why}`);
  }
  warn(path: string, why: string): void {
    this.warnings.push(`${path}: ${why}`);
  }
}
