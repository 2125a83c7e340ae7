/**
 * The real kubectl against a stand-in, through a kubeconfig in `dir` (whose HOME keeps kubectl's
 * discovery cache per run). Tests using it skip, with a notice, where /usr/bin/kubectl is missing.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const KUBECTL = "/usr/bin/kubectl";
export const HAS_KUBECTL = existsSync(KUBECTL);
const run = promisify(execFile);

export function kubectlIn(dir: string, timeout = 30_000): (...args: string[]) => Promise<string> {
  return async (...args) => {
    const { stdout } = await run(KUBECTL, args, { env: { PATH: process.env.PATH ?? "", HOME: dir, KUBECONFIG: join(dir, "kubeconfig") }, timeout });
    return stdout;
  };
}
