/** Why a pod cannot start yet, as the kubelet reports it in a waiting container state. */
export interface Waiting {
  /**
   * `InvalidImageName` (an image reference that does not parse: waits for a spec change),
   * `CreateContainerConfigError` (env from a missing Secret/ConfigMap or key), `ContainerCreating` (a volume source not there yet)
   */
  reason: "InvalidImageName" | "CreateContainerConfigError" | "ContainerCreating";
  /** names the object and key, never a value */
  message: string;
}

/**
 * What a translation could not do exactly, each entry `"<field path>: <why>"`:
 * - `errors`: no Machine can be made for the pod as it stands (too big, unknown GPU, ...);
 * - `waiting`: a Machine can be made once something arrives (a Secret, a key, a Fly Volume);
 * - `unsupported`: the Machine runs, but without behaviour the pod asks for (host ports, lifecycle hooks, ...);
 * - `warnings`: the Machine does what the pod asks, approximately (a check that does not restart, hardening not enforced, ...).
 */
export interface Findings {
  errors: string[];
  waiting: Waiting[];
  unsupported: string[];
  warnings: string[];
}

export class FindingsLog implements Findings {
  readonly errors: string[] = [];
  readonly waiting: Waiting[] = [];
  readonly unsupported: string[] = [];
  readonly warnings: string[] = [];

  error(path: string, why: string): void {
    this.errors.push(`${path}: ${why}`);
  }
  wait(reason: Waiting["reason"], message: string): void {
    if (!this.waiting.some((w) => w.message === message)) this.waiting.push({ reason, message });
  }
  notHonoured(path: string, why: string): void {
    this.unsupported.push(`${path}: ${why}`);
  }
  warn(path: string, why: string): void {
    this.warnings.push(`${path}: ${why}`);
  }
}
