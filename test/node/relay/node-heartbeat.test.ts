/**
 * The virtual Node over real HTTP: registered with its labels, taint and conditions, its Lease
 * renewed with MicroTime precision, NotReady while the worker is down and Ready again after.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../src/relay/kube-api";
import { harness, NODE, waitFor, type Harness } from "./helpers";

type Condition = { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string };
type NodeObj = KubeObject & {
  spec: { taints?: { key: string; value?: string; effect: string }[] };
  status: { conditions: Condition[]; capacity: Record<string, string>; allocatable: Record<string, string>; addresses: { type: string; address: string }[]; daemonEndpoints: { kubeletEndpoint: { Port: number } }; nodeInfo: Record<string, string> };
};
type Lease = KubeObject & { spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string } };

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h?.close();
});

const getNode = () => h.kube.request<NodeObj>("GET", `/api/v1/nodes/${NODE}`);
const getLease = () => h.kube.request<Lease>("GET", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`);
const ready = (n: NodeObj) => n.status.conditions.find((c) => c.type === "Ready")!;

describe("virtual node", () => {
  it("registers the node Ready with labels, default taint, capacity and addresses", async () => {
    await h.start();
    const node = await waitFor("node", () => getNode());
    expect(node.metadata.labels).toMatchObject({
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "kubernetes.io/hostname": NODE,
      type: "virtual-kubelet",
      "kubernetes.io/role": "agent",
    });
    expect(node.spec.taints).toEqual([{ key: "virtual-kubelet.io/provider", value: "fly", effect: "NoSchedule" }]);
    expect(node.status.capacity).toEqual({ cpu: "1000", memory: "4Ti", pods: "10000" });
    expect(node.status.allocatable.pods).toBe("10000");
    expect(node.status.addresses).toEqual([
      { type: "InternalIP", address: "127.0.0.1" },
      { type: "Hostname", address: NODE },
    ]);
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBe(10250);
    expect(node.status.nodeInfo.operatingSystem).toBe("linux");
    expect(node.status.conditions.map((c) => c.type).sort()).toEqual(["DiskPressure", "MemoryPressure", "NetworkUnavailable", "PIDPressure", "Ready"]);
    expect(ready(node)).toMatchObject({ status: "True", reason: "KubeletReady" });
  });

  it("applies a configured taint, or none", async () => {
    await h.start({ nodeTaint: null });
    expect((await waitFor("node", () => getNode())).spec.taints ?? []).toEqual([]);
    await h.relay!.stop();
    await h.start({ nodeTaint: { key: "example.com/dedicated", value: "vm", effect: "NoExecute" } });
    await waitFor("taint updated", async () => (await getNode()).spec.taints?.[0]?.key === "example.com/dedicated");
    expect((await getNode()).spec.taints).toEqual([{ key: "example.com/dedicated", value: "vm", effect: "NoExecute" }]);
  });

  it("renews the Lease with a 6-digit MicroTime and heartbeats the Ready condition", async () => {
    await h.start();
    const first = await waitFor("lease", () => getLease());
    expect(first.spec.holderIdentity).toBe(NODE);
    expect(first.spec.leaseDurationSeconds).toBe(40);
    expect(first.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(first.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "Node", name: NODE, uid: (await getNode()).metadata.uid })]);
    await waitFor("renewed lease", async () => (await getLease()).spec.renewTime > first.spec.renewTime);
    const beat = ready(await getNode()).lastHeartbeatTime!;
    await waitFor("newer heartbeat", async () => ready(await getNode()).lastHeartbeatTime! > beat, 4000);
  });

  it("goes NotReady while the worker is down and Ready once it is back", async () => {
    await h.start();
    await waitFor("Ready", async () => ready(await getNode()).status === "True");
    h.worker.setDown(true);
    const down = await waitFor("NotReady", async () => {
      const c = ready(await getNode());
      return c.status === "False" && c;
    });
    expect(down.reason).toBe("WorkerUnreachable");
    expect(down.message).toMatch(/worker/);
    // The lease keeps being renewed: the node is reachable, only the worker is not.
    const lease = await getLease();
    await waitFor("lease renewed while NotReady", async () => (await getLease()).spec.renewTime > lease.spec.renewTime);
    h.worker.setDown(false);
    await waitFor("Ready again", async () => ready(await getNode()).status === "True");
  });
});
