/**
 * `kubectl logs`, `logs -f`, `exec` and their refusals with the real kubectl, through the stand-in
 * (which calls the relay's kubelet API as kube-apiserver does) to the worker and the emulator.
 * Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

const KUBECTL = "/usr/bin/kubectl";
const HAS_KUBECTL = existsSync(KUBECTL);
if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl logs/exec tests: ${KUBECTL} not found`);
const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 40_000);

let sys: System;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const kubectl = (args: string[], env: Record<string, string> = {}) => run(KUBECTL, ["--kubeconfig", sys.kubeconfigPath, ...args], env);

async function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { env: { ...process.env, HOME: sys.dir, ...env }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

const machineOf = async (uid: string): Promise<string> => {
  const all = (await (await fetch(`${sys.emulator.url}/_emulator/apps/${sys.app}/machines`)).json()) as Array<{ id: string; state: string; config: { metadata?: Record<string, string> } }>;
  return all.find((m) => m.config.metadata?.machinelet_pod_uid === uid && m.state !== "destroyed")!.id;
};
const control = (path: string, body: unknown) => fetch(`${sys.emulator.url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

async function runningPod(name: string, containers: Array<Record<string, unknown>>): Promise<{ uid: string; machineId: string }> {
  const pod = await sys.kube.request<{ metadata: { uid: string } }>("POST", "/api/v1/namespaces/default/pods", {
    body: { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { containers, terminationGracePeriodSeconds: 1 } },
  });
  await waitFor(`${name} Running`, async () => (await sys.kube.request<{ status?: { phase?: string } }>("GET", `/api/v1/namespaces/default/pods/${name}`)).status?.phase === "Running");
  return { uid: pod.metadata.uid, machineId: await machineOf(pod.metadata.uid) };
}

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  sys = await startSystem({ cluster: "podio" });
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

describe.skipIf(!HAS_KUBECTL)("kubectl logs and exec on a machinelet pod", () => {
  it("logs shows the machine's own lines, --tail and -c pick, and logs -f follows new lines", async () => {
    const { machineId } = await runningPod("talker", [{ name: "main", image: "nginx" }, { name: "sidecar", image: "busybox" }]);
    const logs = `/_emulator/apps/${sys.app}/machines/${machineId}/logs`;
    await control(logs, { lines: ["main 1", "main 2", "main 3", "main 4", "main 5", "main 6"], container: "main" });
    await control(logs, { lines: ["side 1"], container: "sidecar" });
    const all = await kubectl(["logs", "talker", "-c", "main"]);
    expect(all.stderr).toBe("");
    expect(all.stdout).toBe("main 1\nmain 2\nmain 3\nmain 4\nmain 5\nmain 6\n");
    expect((await kubectl(["logs", "talker", "-c", "sidecar"])).stdout).toBe("side 1\n");
    expect((await kubectl(["logs", "talker", "-c", "main", "--tail=2"])).stdout).toBe("main 5\nmain 6\n");
    expect((await kubectl(["logs", "talker", "-c", "nope"])).stderr).toMatch(/container nope is not valid for pod talker/);

    const follow = spawn(KUBECTL, ["--kubeconfig", sys.kubeconfigPath, "logs", "-f", "--tail=5", "talker", "-c", "main"], { env: { ...process.env, HOME: sys.dir } });
    let out = "";
    follow.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor("the last five lines", async () => out === "main 2\nmain 3\nmain 4\nmain 5\nmain 6\n");
    await control(logs, { lines: ["main 7"], container: "main" });
    await waitFor("the new line", async () => out.endsWith("main 6\nmain 7\n"));
    follow.kill();
  }, 60_000);

  it("exec prints the output and exits with the command's exit code, over WebSocket and over SPDY", async () => {
    const { machineId } = await runningPod("shell", [{ name: "main", image: "busybox" }]);
    for (const env of [{ KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "true" }, { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" }]) {
      await control(`/_emulator/apps/${sys.app}/machines/${machineId}/exec-results`, { stdout: "hi\n", stderr: "", exit_code: 3 });
      const run = await kubectl(["exec", "shell", "--", "sh", "-c", "echo hi; exit 3"], env);
      expect(run.stdout).toBe("hi\n");
      expect(run.stderr).toMatch(/command terminated with exit code 3/);
      expect(run.code).toBe(3);
      await control(`/_emulator/apps/${sys.app}/machines/${machineId}/exec-results`, { stdout: "ok\n", stderr: "warn\n", exit_code: 0 });
      const ok = await kubectl(["exec", "shell", "--", "true"], env);
      expect(ok).toEqual({ code: 0, stdout: "ok\n", stderr: "warn\n" });
    }
  }, 60_000);

  it("interactive exec, attach, port-forward and previous logs get errors that name the limit", async () => {
    await runningPod("idle", [{ name: "main", image: "busybox" }]);
    // A terminal for kubectl (script(1), util-linux), so -t really asks for a TTY.
    const tty = await run("/usr/bin/script", ["-qec", `${KUBECTL} --kubeconfig ${sys.kubeconfigPath} exec -it idle -- sh`, "/dev/null"]);
    expect(tty.code).not.toBe(0);
    expect(tty.stdout).toMatch(/machinelet: interactive exec \(-t, a TTY, terminal resize\) is not available/);
    expect((await kubectl(["logs", "idle", "--previous"])).stderr).toMatch(/machinelet: logs of a previous container instance are not available/);
    expect((await kubectl(["port-forward", "pod/idle", "18080:80"])).stderr).toMatch(/machinelet: port-forward is not available/);
  });
});

describe.skipIf(!HAS_KUBECTL)("kubectl describe shows the pod's history as Events", () => {
  const setChecks = (machineId: string, status: string | null) =>
    fetch(`${sys.emulator.url}/_emulator/apps/${sys.app}/machines/${machineId}/checks`, { method: "PUT", body: JSON.stringify({ "*": status }), headers: { "content-type": "application/json" } });
  const reasons = async (name: string) => {
    const list = JSON.parse((await kubectl(["get", "events", "--field-selector", `involvedObject.name=${name}`, "-o", "json"])).stdout) as { items: Array<{ reason: string; count: number; message: string }> };
    return list.items;
  };

  it("machine created, started, a failing check, an exit and a restart, then the deletion, each once", async () => {
    const { machineId } = await runningPod("story", [{ name: "main", image: "nginx", ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { path: "/", port: 80 } } }]);
    await waitFor("Created and Started", async () => {
      const r = (await reasons("story")).map((e) => e.reason);
      return r.includes("MachineCreated") && r.includes("Started");
    });
    await waitFor("pod Ready", async () => (await sys.kube.request<any>("GET", "/api/v1/namespaces/default/pods/story")).status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"));
    await setChecks(machineId, "critical");
    await waitFor("Unhealthy", async () => (await reasons("story")).some((e) => e.reason === "Unhealthy"));
    await setChecks(machineId, null);
    await control(`/_emulator/apps/${sys.app}/machines/${machineId}/exit`, { exitCode: 3 });
    await waitFor("Exited and Restarted", async () => {
      const r = (await reasons("story")).map((e) => e.reason);
      return r.includes("Exited") && r.includes("Restarted");
    });
    const describe = (await kubectl(["describe", "pod", "story"])).stdout;
    const events = describe.slice(describe.indexOf("Events:"));
    expect(events).toMatch(new RegExp(`Normal\\s+MachineCreated\\s+.*machinelet\\s+Created Fly Machine ${machineId} \\(shared-cpu-1x, 256 MB\\)`));
    expect(events).toMatch(/Normal\s+Started\s+.*Started container main/);
    expect(events).toMatch(/Warning\s+Unhealthy\s+.*Readiness check failed/);
    expect(events).toMatch(/Warning\s+Exited\s+.*Container main exited with code 3/);
    expect(events).toMatch(/Normal\s+Restarted\s+.*restarted by the Machine's restart policy/);
    // Started twice (first boot, restart): one Event counted twice, not two Events.
    const started = (await reasons("story")).filter((e) => e.reason === "Started");
    expect(started).toHaveLength(1);
    expect(started[0]!.count).toBe(2);

    await kubectl(["delete", "pod", "story", "--wait=false"]);
    await waitFor("Killing and MachineDestroyed", async () => {
      const r = (await reasons("story")).map((e) => e.reason);
      return r.includes("Killing") && r.includes("MachineDestroyed");
    });
    const all = await reasons("story");
    expect(new Set(all.map((e) => e.reason)).size).toBe(all.length);
    expect((await kubectl(["get", "events"])).stdout).toMatch(/Warning\s+Exited\s+pod\/story\s+Container main exited with code 3/);
  }, 90_000);
});
