/**
 * metav1.Status answers of the relay's kubelet API. Every refusal names machinelet and the limit,
 * so `kubectl` shows why instead of a bare NotFound.
 */
import type { ServerResponse } from "node:http";

export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: Array<{ reason: string; message: string }> };
}

const REASONS: Record<number, string> = { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 501: "NotImplemented", 503: "ServiceUnavailable", 504: "Timeout" };

export class KubeletError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  toStatus(): KubeStatus {
    return failure(this.code, this.message);
  }
}

export function failure(code: number, message: string, reason = REASONS[code] ?? "InternalError"): KubeStatus {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

export const SUCCESS: KubeStatus = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" };

/** What a kubelet writes on the error stream when the command exits non-zero (remotecommand v4). */
export function nonZeroExit(command: readonly string[], exitCode: number): KubeStatus {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${exitCode}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

export function sendStatus(res: ServerResponse, status: KubeStatus): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status.code ?? 500, { "Content-Type": "application/json" }).end(JSON.stringify(status));
}

/** The unsupported-feature refusals, worded once. */
export const LIMITS = {
  tty: "machinelet: interactive exec (-t, a TTY, terminal resize) is not available: Fly's Machines API exec runs one command to completion without a terminal. Run `kubectl exec POD -- CMD` without -t (stdin with -i is passed whole, up to 1 MB), or use `fly ssh console` for a shell",
  attach: "machinelet: attach is not available: Fly's Machines API offers no way to attach to a machine's running process; use `kubectl logs -f`",
  previous: "machinelet: logs of a previous container instance are not available: Fly's logs do not separate a container's restarts; `kubectl logs` shows every line the machine printed (narrow with --since)",
  portForwardNoNetwork:
    "machinelet: port-forward is not available from this relay: it needs a route to the cluster's Fly private network (6PN), and the relay runs outside Fly without WireGuard. Run the relay on a Fly Machine in the cluster's organization (or join it with `fly wireguard`) and set --port-forward=6pn",
} as const;
