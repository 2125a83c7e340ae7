/**
 * Warm capacity end to end with the real kubectl: a Deployment scaled down keeps its machines as
 * stopped spares, and scaled up again its new pods take them over (no create) and run. Through the
 * stand-in's Deployment and ReplicaSet controllers, the relay, the worker and the emulator.
 * Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

const KUBECTL = "/usr/bin/kubectl";
const HAS_KUBECTL = existsSync(KUBECTL);
if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl scale test: ${KUBECTL} not found`);
const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 40_000);

let sys: System;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(KUBECTL, ["--kubeconfig", sys.kubeconfigPath, ...args], { env: { ...process.env, HOME: sys.dir }, timeout: 30_000 });
  return stdout;
}

type RawMachine = { id: string; state: string; config: { metadata?: Record<string, string> } };
const machines = async (): Promise<RawMachine[]> => (await (await fetch(`${sys.emulator.url}/_emulator/apps/${sys.app}/machines`)).json()) as RawMachine[];
const creates = async (): Promise<number> => {
  const calls = ((await (await fetch(`${sys.emulator.url}/_emulator/stats`)).json()) as { calls: Record<string, Record<string, number>> }).calls;
  return calls["POST /v1/apps/{app_name}/machines"]?.["200"] ?? 0;
};
const runningPods = async (): Promise<Array<{ metadata: { uid: string } }>> => {
  const list = JSON.parse(await kubectl("get", "pods", "-l", "app=web", "-o", "json")) as { items: Array<{ metadata: { uid: string; deletionTimestamp?: string }; status?: { phase?: string } }> };
  return list.items.filter((p) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp);
};

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  sys = await startSystem({ cluster: "scale" });
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

describe.skipIf(!HAS_KUBECTL)("kubectl scale with warm capacity", () => {
  it("scale to 0 keeps the machines as stopped spares; scale back up takes them over without a create", async () => {
    await kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3");
    await waitFor("3 pods Running", async () => (await runningPods()).length === 3);
    const before = (await machines()).filter((m) => m.state !== "destroyed").map((m) => m.id).sort();
    expect(before).toHaveLength(3);
    const createdBefore = await creates();

    expect(await kubectl("scale", "deployment/web", "--replicas=0")).toBe("deployment.apps/web scaled\n");
    await waitFor("3 stopped spares and no pod", async () => {
      const spares = (await machines()).filter((m) => m.state === "stopped" && m.config.metadata?.machinelet_spare);
      return spares.length === 3 && JSON.parse(await kubectl("get", "pods", "-l", "app=web", "-o", "json")).items.length === 0;
    });

    await kubectl("scale", "deployment/web", "--replicas=3");
    const pods = await waitFor("3 pods Running again", async () => {
      const running = await runningPods();
      return running.length === 3 ? running : undefined;
    });
    const after = (await machines()).filter((m) => m.state !== "destroyed");
    expect(after.map((m) => m.id).sort()).toEqual(before);
    expect(await creates()).toBe(createdBefore);
    expect(after.map((m) => m.config.metadata?.machinelet_pod_uid).sort()).toEqual(pods.map((p) => p.metadata.uid).sort());
    const described = await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.conditions[?(@.type==\"machinelet.fly.io/FromSpare\")].status}");
    expect(described.split(" ")).toEqual(["True", "True", "True"]);
  }, 120_000);
});
