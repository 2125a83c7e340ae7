/**
 * The whole system end to end, as staging runs it: K8s stand-in + relay + worker (workerd via
 * wrangler dev) + Machines emulator. Pods go in through the Kubernetes API; machines come out
 * in the emulator; status comes back onto the pods.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStatus } from "../../../src/relay/kube-api";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 20_000);

const CLUSTER = "e2e";
const APP = `fks-${CLUSTER}`;
const NODE = APP;
const KUBECTL = "/usr/bin/kubectl";

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ ready: boolean; containerID?: string }> };
}
interface RawMachine {
  id: string;
  state: string;
  privateIp: string;
  config: { image?: string; metadata?: Record<string, string> };
}

let sys: System;

const machines = async (): Promise<RawMachine[]> => {
  const res = await fetch(`${sys.emulator.url}/_emulator/apps/${APP}/machines`);
  return res.ok ? ((await res.json()) as RawMachine[]) : [];
};
const machineOf = async (uid: string) => (await machines()).find((m) => m.config.metadata?.machinelet_pod_uid === uid && m.state !== "destroyed");
const getPod = (name: string) => sys.kube.request<Pod>("GET", `/api/v1/namespaces/default/pods/${name}`);
const podGone = async (name: string) => {
  try {
    await getPod(name);
    return false;
  } catch (e) {
    return isStatus(e, 404);
  }
};
const createPod = (name: string, image = "nginx:1.27") =>
  sys.kube.request<Pod>("POST", "/api/v1/namespaces/default/pods", {
    body: { apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: name } }, spec: { containers: [{ name: "main", image }], terminationGracePeriodSeconds: 2 } },
  });
const deletePod = (name: string) => sys.kube.request("DELETE", `/api/v1/namespaces/default/pods/${name}`);

beforeAll(async () => {
  sys = await startSystem({ cluster: CLUSTER });
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
}, 90_000);

afterAll(() => sys?.stop());

describe("through the Kubernetes API", () => {
  it("a pod reaches Running with its machine's IPv6, follows an image change, and deletion removes machine and pod", async () => {
    const created = await createPod("web");
    const running = await waitFor("pod Running", async () => {
      const p = await getPod("web");
      return p.status?.phase === "Running" && p.status.podIP ? p : undefined;
    });
    const m = (await machineOf(created.metadata.uid))!;
    expect(m.config.metadata).toMatchObject({ machinelet_cluster: CLUSTER, machinelet_namespace: "default", machinelet_pod: "web" });
    expect(running.spec.nodeName).toBe(NODE);
    expect(running.status!.podIP).toBe(m.privateIp);
    expect(running.status!.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    expect(running.status!.conditions).toContainEqual(expect.objectContaining({ type: "PodScheduled", status: "True" }));

    await sys.kube.request("PATCH", "/api/v1/namespaces/default/pods/web", {
      body: { spec: { containers: [{ name: "main", image: "nginx:1.28" }] } },
      contentType: "application/strategic-merge-patch+json",
    });
    await waitFor("machine updated in place", async () => {
      const now = await machineOf(created.metadata.uid);
      return now?.id === m.id && now.config.image === "nginx:1.28" && now.state === "started";
    });

    await deletePod("web");
    await waitFor("pod gone", () => podGone("web"));
    expect((await machines()).find((x) => x.id === m.id)?.state).toBe("destroyed");
  });

  it("keeps the node Ready while its Lease is renewed", async () => {
    type Lease = { spec: { renewTime: string } };
    const lease = () => sys.kube.request<Lease>("GET", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`);
    const first = await lease();
    await waitFor("lease renewed", async () => (await lease()).spec.renewTime > first.spec.renewTime);
    const node = await sys.kube.request<{ status: { conditions: Array<{ type: string; status: string }> } }>("GET", `/api/v1/nodes/${NODE}`);
    expect(node.status.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
  });

  it("pods deleted while the relay is down are cleaned up after it restarts: machines destroyed, nothing leaks", async () => {
    const a = await createPod("keep");
    const b = await createPod("drop");
    await waitFor("both running", async () => (await getPod("keep")).status?.phase === "Running" && (await getPod("drop")).status?.phase === "Running");
    const dropMachine = (await machineOf(b.metadata.uid))!;

    await sys.relay.stop();
    // Force-delete while nobody watches: the relay will only learn it from its relist.
    await sys.kube.request("DELETE", "/api/v1/namespaces/default/pods/drop", { body: { gracePeriodSeconds: 0 } });
    await waitFor("drop gone from the API", () => podGone("drop"));
    await sys.startRelay();

    await waitFor("dropped pod's machine destroyed", async () => (await machines()).find((x) => x.id === dropMachine.id)?.state === "destroyed");
    expect((await machineOf(a.metadata.uid))?.state).toBe("started");
    expect((await getPod("keep")).status?.phase).toBe("Running");
    await deletePod("keep");
    await waitFor("keep gone", () => podGone("keep"));
  });
});

describe.skipIf(!existsSync(KUBECTL))("with kubectl", () => {
  const kubectl = (...args: string[]) => promisify(execFile)(KUBECTL, ["--kubeconfig", sys.kubeconfigPath, ...args], { timeout: 30_000 });

  it("kubectl run, get and delete drive a machine", async () => {
    await kubectl("run", "kweb", "--image=nginx");
    const ip = await waitFor("kubectl sees Running", async () => {
      const { stdout } = await kubectl("get", "pod", "kweb", "-o", "jsonpath={.status.phase} {.status.podIP}");
      const [phase, podIP] = stdout.split(" ");
      return phase === "Running" && podIP ? podIP : undefined;
    });
    expect(ip).toMatch(/^fdaa:/);
    const { stdout: nodes } = await kubectl("get", "nodes", "--no-headers");
    expect(nodes).toMatch(new RegExp(`^${NODE}\\s+Ready`));
    await kubectl("delete", "pod", "kweb");
    await waitFor("pod gone", () => podGone("kweb"));
    expect((await machines()).filter((m) => m.config.metadata?.machinelet_pod === "kweb").every((m) => m.state === "destroyed")).toBe(true);
  });

  it("a two-container pod with readiness probes is 2/2 while both containers' checks pass, 1/2 when one fails", async () => {
    const probe = (port: number) => ({ tcpSocket: { port }, periodSeconds: 1 });
    const containers = [
      { name: "web", image: "nginx", ports: [{ containerPort: 80 }], readinessProbe: probe(80) },
      { name: "side", image: "busybox", readinessProbe: probe(9000) },
    ];
    const created = await sys.kube.request<Pod>("POST", "/api/v1/namespaces/default/pods", {
      body: { apiVersion: "v1", kind: "Pod", metadata: { name: "duo" }, spec: { containers, terminationGracePeriodSeconds: 1 } },
    });
    const ready = async () => (await kubectl("get", "pod", "duo", "--no-headers", "-o", "custom-columns=READY:.status.containerStatuses[*].ready,COND:.status.conditions[?(@.type=='Ready')].status")).stdout.trim();
    const readyColumn = async () => (await kubectl("get", "pod", "duo", "--no-headers")).stdout.trim().split(/\s+/)[1];
    await waitFor("2/2", async () => (await readyColumn()) === "2/2");
    expect(await ready()).toBe("true,true   True");
    const m = (await machineOf(created.metadata.uid))!;
    await fetch(`${sys.emulator.url}/_emulator/apps/${APP}/machines/${m.id}/checks`, { method: "PUT", body: JSON.stringify({ "side-readiness": "critical" }) });
    await waitFor("1/2", async () => (await readyColumn()) === "1/2");
    expect(await ready()).toBe("true,false   False");
    await kubectl("delete", "pod", "duo", "--wait=false");
    await waitFor("duo gone", () => podGone("duo"));
  });

  it("images: an invalid name is InvalidImageName and never reaches Fly; a missing image is ErrImagePull, then ImagePullBackOff; describe shows the events", async () => {
    const statusColumn = async (name: string) => (await kubectl("get", "pod", name, "--no-headers")).stdout.trim().split(/\s+/)[2];
    // (`kubectl run` refuses such a name itself; a manifest reaches the API server, which takes any non-blank image.)
    const manifest = join(sys.dir, "badname.json");
    await writeFile(manifest, JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "badname" }, spec: { containers: [{ name: "main", image: "Not A Valid/Image::name" }] } }));
    await kubectl("apply", "-f", manifest);
    await kubectl("run", "noimage", "--image=nginx:does-not-exist");
    await waitFor("InvalidImageName", async () => (await statusColumn("badname")) === "InvalidImageName");
    const { stdout: phase } = await kubectl("get", "pod", "badname", "-o", "jsonpath={.status.phase}");
    expect(phase).toBe("Pending");
    const seen = new Set<string>();
    await waitFor("ImagePullBackOff", async () => {
      seen.add((await statusColumn("noimage"))!);
      return seen.has("ImagePullBackOff");
    });
    const { stdout: described } = await kubectl("describe", "pod", "noimage");
    expect(described).toMatch(/Warning\s+Failed\s+.*Failed to pull image "nginx:does-not-exist": failed to launch VM: failed to resolve reference/);
    expect(described).toMatch(/Normal\s+BackOff\s+.*Back-off pulling image "nginx:does-not-exist"/);
    expect(described).toMatch(/Warning\s+Failed\s+.*Error: ImagePullBackOff/);
    const { stdout: badEvents } = await kubectl("get", "events", "--field-selector", "involvedObject.name=badname", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}");
    expect(badEvents.trim().split("\n").sort()).toEqual([
      "Failed: Error: InvalidImageName",
      "InspectFailed: Failed to apply default image tag \"Not A Valid/Image::name\": couldn't parse image name \"Not A Valid/Image::name\": invalid reference format",
      "Scheduled: Successfully assigned default/badname to fks-e2e",
    ]);
    const mine = (await machines()).filter((m) => ["badname", "noimage"].includes(m.config.metadata?.machinelet_pod ?? ""));
    expect(mine).toEqual([]);
    await kubectl("delete", "pod", "badname", "noimage", "--wait=false");
    await waitFor("both gone", async () => (await podGone("badname")) && (await podGone("noimage")));
  });
});
if (!existsSync(KUBECTL)) console.warn(`NOTICE: ${KUBECTL} not found: the kubectl end-to-end test is skipped`);
