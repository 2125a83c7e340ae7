import type { MachinesClient } from "../../machines/client";
import { isMachinesApiError, MachinesApiError } from "../../machines/errors";
import type { PodExecRequest, PodExecResult } from "../../shared/contract";

export class ExecRefused extends Error {
  constructor(
    readonly status: 400 | 409,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs a command in the pod's machine through the Machines API exec. A multi-container machine
 * gets the container named (it must be one of its containers); a single-container machine runs
 * it in its only container. Fly's 200 with a non-zero exit code is a result, not an error.
 */
export async function execInMachine(client: MachinesClient, app: string, machineId: string, req: PodExecRequest): Promise<PodExecResult> {
  const machine = await client.getMachine(app, machineId);
  if (machine.state !== "started") throw new ExecRefused(409, `the pod's machine ${machineId} is ${machine.state ?? "in an unknown state"}, not running`);
  const containers = (machine.config?.containers ?? []).map((c) => c.name).filter((n): n is string => typeof n === "string");
  if (req.container !== undefined && containers.length > 0 && !containers.includes(req.container)) {
    throw new ExecRefused(400, `container ${req.container} is not one of the machine's containers (${containers.join(", ")})`);
  }
  const body = {
    command: req.command,
    ...(containers.length > 0 && req.container ? { container: req.container } : {}),
    ...(req.stdin !== undefined ? { stdin: req.stdin } : {}),
    ...(req.timeoutSeconds !== undefined ? { timeout: req.timeoutSeconds } : {}),
  };
  const r = await withinRateLimit(() => client.exec(app, machineId, body));
  return { exitCode: r.exit_code ?? 0, ...(r.exit_signal ? { exitSignal: r.exit_signal } : {}), stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Waits (in all at most this long) for Fly's per-machine exec budget rather than failing a burst of execs. */
const RATE_LIMIT_PATIENCE_MS = 5_000;

/** A 429 ran nothing, so the call is made again once Fly's bucket has a token; other errors pass through. */
async function withinRateLimit<T>(call: () => Promise<T>): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      return await call();
    } catch (e) {
      const wait = isMachinesApiError(e, "rate_limited") ? e.rateLimitWaitMs : Infinity;
      if (waited + wait > RATE_LIMIT_PATIENCE_MS) throw e;
      waited += wait;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** The HTTP answer for a failed Fly call: what a caller of the worker can act on. */
export function flyFailure(e: MachinesApiError): { status: 404 | 409 | 429 | 502 | 503 | 504; error: string } {
  switch (e.kind) {
    case "not_found":
      return { status: 404, error: `the pod's machine no longer exists: ${e.message}` };
    case "precondition":
    case "conflict":
      return { status: 409, error: `the pod's machine cannot do this now: ${e.message}` };
    case "rate_limited":
      return { status: 429, error: `Fly's rate limit: retry in ${Math.ceil(e.rateLimitWaitMs / 1000)} s` };
    case "transient":
      return e.status === 408
        ? { status: 504, error: "the command ran past Fly's exec deadline (about 30 s)" }
        : { status: 503, error: `Fly did not answer: ${e.message}` };
    default:
      return { status: 502, error: `Fly refused the call: ${e.message}` };
  }
}
