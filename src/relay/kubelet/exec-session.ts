/**
 * One `exec` of the kubelet API, whatever the stream protocol: the options a kubelet reads from
 * the query, and the run itself. Fly's exec is not interactive, so stdin (when asked for) is read
 * to its end first, the command runs once, then stdout, stderr and the v4 status are written.
 */
import { MAX_EXEC_STDIN_BYTES, MAX_EXEC_TIMEOUT_S } from "../../shared/contract";
import type { WorkerClient } from "../worker-client";
import { execInPod } from "./pod-worker";
import type { PodTarget } from "./pod-target";
import { KubeletError, LIMITS, nonZeroExit, SUCCESS, type KubeStatus } from "./status";

export interface ExecOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** The query of `/exec/{ns}/{pod}/{container}` as a kubelet reads it; a TTY is refused with the limit named. */
export function parseExecOptions(q: URLSearchParams): ExecOptions {
  const bool = (name: string) => ["true", "1"].includes(q.get(name) ?? "");
  if (bool("tty")) throw new KubeletError(400, LIMITS.tty);
  const command = q.getAll("command");
  if (command.length === 0) throw new KubeletError(400, "you must specify a command (the `command` query parameter)");
  const opts = { command, stdin: bool("stdin"), stdout: bool("stdout"), stderr: bool("stderr") };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw new KubeletError(400, "you must specify at least 1 of stdin, stdout, stderr");
  return opts;
}

/** What a protocol adapter gives the session: stdin's bytes and the three output channels. */
export interface ExecStreams {
  /** Resolves with everything the client sent on stdin, once it closed it. */
  readStdin(): Promise<Buffer>;
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  /** The v4 status on the error channel; the adapter then closes the session. */
  finish(status: KubeStatus): void;
}

/** Collects a stream's chunks up to Fly's stdin limit; past it the exec is refused. */
export class StdinBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done!: (b: Buffer) => void;
  private failed!: (e: Error) => void;
  readonly all = new Promise<Buffer>((resolve, reject) => {
    this.done = resolve;
    this.failed = reject;
  });

  constructor() {
    // `all` is awaited only once the session runs, and an overflow can come before that (or the
    // session never runs): an unhandled rejection would end the relay. runExec still sees it.
    this.all.catch(() => undefined);
  }

  push(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > MAX_EXEC_STDIN_BYTES) this.failed(new KubeletError(400, `machinelet: stdin is limited to ${MAX_EXEC_STDIN_BYTES} bytes by Fly's exec`));
    else this.chunks.push(chunk);
  }

  end(): void {
    this.done(Buffer.concat(this.chunks));
  }
}

export async function runExec(worker: WorkerClient, target: PodTarget, opts: ExecOptions, io: ExecStreams): Promise<void> {
  let status: KubeStatus;
  try {
    const stdin = opts.stdin ? (await io.readStdin()).toString("utf8") : undefined;
    const result = await execInPod(worker, target.uid, {
      command: opts.command,
      ...(target.containers.length > 1 ? { container: target.container } : {}),
      ...(stdin !== undefined ? { stdin } : {}),
      timeoutSeconds: MAX_EXEC_TIMEOUT_S,
    });
    if (opts.stdout && result.stdout) io.stdout(Buffer.from(result.stdout));
    // Without a stderr stream (a TTY would merge them) stderr is dropped, as a kubelet does.
    if (opts.stderr && result.stderr) io.stderr(Buffer.from(result.stderr));
    status = result.exitCode === 0 ? SUCCESS : nonZeroExit(opts.command, result.exitCode);
  } catch (e) {
    status = e instanceof KubeletError ? e.toStatus() : { ...SUCCESS, status: "Failure", message: `machinelet: exec failed: ${e instanceof Error ? e.message : String(e)}`, reason: "InternalError", code: 500 };
  }
  io.finish(status);
}
