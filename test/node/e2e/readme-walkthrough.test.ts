/**
 * The README's staging walk-through, run as written: `npm run staging`'s script on free ports, then
 * the walk-through's shell block, extracted from README.md, in bash with the real kubectl and the
 * real `dig` (Debian's dnsutils). Skipped, with a notice, where /usr/bin/kubectl or dig is missing;
 * in CI (CI=true) a missing dig fails instead, since .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import { freePort } from "../../../src/dev/free-port";
import { HAS_KUBECTL, KUBECTL } from "../k8s-standin/kubectl-runner";

const HAS_DIG = spawnSync("dig", ["-v"], { stdio: "ignore" }).status === 0;
if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the README walk-through test: ${KUBECTL} not found`);
if (!HAS_DIG && process.env.CI === "true") throw new Error("the README walk-through needs dig (Debian: apt-get install dnsutils); .ci/run installs it");
if (!HAS_DIG) console.warn("NOTICE: skipping the README walk-through test: dig not found (Debian: apt-get install dnsutils)");

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The first ```sh block after the walk-through's heading. */
export function walkThroughBlock(readme: string): string {
  const section = readme.slice(readme.indexOf("### Staging walk-through"));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error("README.md: no ```sh block under ### Staging walk-through");
  return match[1];
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input);
  });
}

describe.skipIf(!HAS_KUBECTL || !HAS_DIG)("the README's staging walk-through", () => {
  let dir: string;
  let staging: ChildProcess;
  let machinesPort: number;
  let workerPort: number;
  let dnsPort: number;
  const log: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "machinelet-walkthrough-"));
    // The walk-through runs at the repository's root; this directory stands in for it.
    await symlink(join(ROOT, "test"), join(dir, "test"));
    machinesPort = await freePort();
    workerPort = await freePort();
    dnsPort = await freePort();
    const env = {
      ...process.env,
      MACHINELET_MACHINES_PORT: String(machinesPort),
      MACHINELET_WORKER_PORT: String(workerPort),
      MACHINELET_K8S_PORT: String(await freePort()),
      MACHINELET_RELAY_METRICS_PORT: String(await freePort()),
      MACHINELET_DNS_PORT: String(dnsPort),
      MACHINELET_STAGING_DIR: join(dir, ".staging"),
      RECONCILE_INTERVAL_S: "2",
    };
    staging = spawn(process.execPath, ["--import", "tsx", "scripts/staging.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    staging.stderr?.on("data", (d: Buffer) => log.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: staging.stdout! }).on("line", (line) => {
        log.push(line);
        if (line === "staging ready") resolve();
      });
      staging.once("exit", (code) => reject(new Error(`staging exited with ${code} before it was ready:\n${log.join("\n")}`)));
    });
  }, 180_000);

  afterAll(async () => {
    if (staging && staging.exitCode === null) {
      const exited = new Promise((resolve) => staging.once("exit", resolve));
      staging.kill("SIGTERM");
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs top to bottom as written", async ({ expect }) => {
    const block = walkThroughBlock(await readFile(join(ROOT, "README.md"), "utf8"));
    const env = { PATH: process.env.PATH ?? "", HOME: dir, MACHINELET_MACHINES_PORT: String(machinesPort), MACHINELET_WORKER_PORT: String(workerPort), MACHINELET_DNS_PORT: String(dnsPort) };
    const result = await run("bash", ["-euo", "pipefail", "-s"], { cwd: dir, env, input: block });
    if (result.code !== 0) throw new Error(`the walk-through failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    expect(result.stdout).toMatch(/^fks-staging\s+Ready\s+agent\s/m);
    expect(result.stdout).toMatch(/^web\s+1\/1\s+Running\s+0\s+\S+\s+fdaa:/m);
    expect(result.stdout).toMatch(/^job\s+0\/1\s+Error\s/m);
    expect(result.stdout).toContain('deployment "hello" successfully rolled out');
    // Services: the annotation, then dig's answers for the full and the short name, then the worker's view: one address.
    const services = /^(fdaa:[0-9a-f:]+)\n(\S*)\n(\S*)\n(\{.*\})$/m.exec(result.stdout);
    expect(services, "the Services part's output: annotation, two dig answers, the worker's view").not.toBeNull();
    const [, address, full, short, view] = services!;
    expect(full).toBe(address);
    expect(short).toBe(address);
    const seen = JSON.parse(view!) as { namespace: string; name: string; address: string; fly: { serviceApp: string } };
    expect([seen.namespace, seen.name, seen.address]).toEqual(["default", "redis-leader", address]);
    expect(seen.fly.serviceApp).toMatch(/^fks-staging-s-default-redis-leader-/);
    expect(result.stdout).toMatch(/FailedScheduling\s+pod\/stray\s+0\/1 nodes are available: 1 node\(s\) had untolerated taint \{virtual-kubelet.io\/provider: fly\}/);
    expect(result.stderr).toContain('admission webhook "pods.machinelet.fly.dev" denied the request: machinelet cannot run this pod as a Fly Machine');
    expect(result.stdout).toContain("refused, as on a real cluster");
  }, 300_000);
});
