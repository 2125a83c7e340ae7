/**
 * `kubectl port-forward` with the real kubectl, through the stand-in (which unwraps kubectl's
 * WebSocket tunnel into SPDY as kube-apiserver 1.31+ does) to the relay's kubelet API, which dials
 * the pod's 6PN address and port; the emulator's loopback network stands in for 6PN, its machine
 * listeners answering `<machine id> <port>`. Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

const KUBECTL = "/usr/bin/kubectl";
const HAS_KUBECTL = existsSync(KUBECTL);
if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl port-forward tests: ${KUBECTL} not found`);
const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 40_000);

let sys: System;
let machineId: string;
const forwards: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  sys = await startSystem({ cluster: "portfwd", podNetwork: true });
  // What the image listens on (its EXPOSE): the emulator cannot know it otherwise.
  await fetch(`${sys.emulator.url}/_emulator/config`, { method: "PUT", body: JSON.stringify({ imagePorts: { nginx: [80] } }), headers: { "content-type": "application/json" } });
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
  const pod = await sys.kube.request<{ metadata: { uid: string } }>("POST", "/api/v1/namespaces/default/pods", {
    body: { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "main", image: "nginx", ports: [{ containerPort: 80 }] }], terminationGracePeriodSeconds: 1 } },
  });
  await waitFor("web Running with an IP", async () => {
    const p = await sys.kube.request<{ status?: { phase?: string; podIP?: string } }>("GET", "/api/v1/namespaces/default/pods/web");
    return p.status?.phase === "Running" && p.status.podIP;
  });
  const machines = (await (await fetch(`${sys.emulator.url}/_emulator/apps/${sys.app}/machines`)).json()) as Array<{ id: string; config: { metadata?: Record<string, string> } }>;
  machineId = machines.find((m) => m.config.metadata?.machinelet_pod_uid === pod.metadata.uid)!.id;
}, 90_000);

afterAll(async () => {
  for (const f of forwards) f.kill();
  await sys?.stop();
});

/** Starts `kubectl port-forward pod/web 0:<port>` and answers the local port it listens on. */
async function portForward(port: number, env: Record<string, string>): Promise<{ local: number; output: () => string }> {
  // -v=4 logs client-go's "fallback to secondary dialer" when the WebSocket tunnel is refused.
  const child = spawn(KUBECTL, ["--kubeconfig", sys.kubeconfigPath, "-v=4", "port-forward", "pod/web", `0:${port}`], { env: { ...process.env, HOME: sys.dir, ...env } });
  forwards.push(child);
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const local = await waitFor("kubectl forwarding", async () => Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(output)?.[1]) || undefined);
  return { local, output: () => output };
}

/** Connects to the local port, sends a line and reads until the remote side closes. */
function exchange(port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(got));
    socket.on("connect", () => socket.end(send));
  });
}

describe.skipIf(!HAS_KUBECTL)("kubectl port-forward", () => {
  it.each([
    ["a WebSocket tunnel (kubectl's default)", { KUBECTL_PORT_FORWARD_WEBSOCKETS: "true" }],
    ["SPDY", { KUBECTL_PORT_FORWARD_WEBSOCKETS: "false" }],
  ])("moves bytes to the pod's port over %s", async (_how, env) => {
    const { local, output } = await portForward(80, env);
    expect(await exchange(local, "hello\n")).toBe(`${machineId} 80\n`);
    expect(await exchange(local, "again\n")).toBe(`${machineId} 80\n`);
    expect(output()).not.toMatch(/fallback to secondary dialer/);
  }, 60_000);

  it("a port nothing listens on: kubectl reports the relay's error and the connection closes", async () => {
    const { local, output } = await portForward(81, {});
    // kubectl closes the connection; if "hello" arrives after that close, the answer is a reset.
    const answer = await exchange(local, "hello\n").catch((e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? "" : Promise.reject(e)));
    expect(answer).toBe("");
    await waitFor("the error", async () => /error forwarding port 81 to pod default\/web, uid [0-9a-f-]+: dial tcp \[fdaa:[^\]]+\]:81: connect: connection refused/.test(output()));
  }, 60_000);
});
