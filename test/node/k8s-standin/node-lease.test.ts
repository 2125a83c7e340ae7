// The virtual node's registration and heartbeat as the relay does them: a Node created with its
// status, status updates by strategic merge, and its Lease renewed with MicroTime timestamps.
import { ApiException, PatchStrategy, V1MicroTime, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { raw, startFixture } from "./fixture";

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f.standin.close();
});

const smp = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe("node", () => {
  it("keeps the status given at create, changes it only through /status, merging conditions by type", async ({ expect }) => {
    const node = await f.core.createNode({
      body: {
        metadata: { name: "vk", labels: { type: "virtual-kubelet" } },
        spec: { taints: [{ key: "virtual-kubelet.io/provider", value: "fly", effect: "NoSchedule" }] },
        status: {
          conditions: [
            { type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: new Date("2026-01-01T00:00:00.500Z"), lastTransitionTime: new Date("2026-01-01T00:00:00Z") },
            { type: "MemoryPressure", status: "False" },
          ],
          capacity: { cpu: "100", memory: "1Ti", pods: "1000" },
          addresses: [{ type: "InternalIP", address: "10.0.0.1" }],
        },
      },
    });
    expect(node.status?.capacity).toEqual({ cpu: "100", memory: "1Ti", pods: "1000" });
    const rawNode = (await raw(f.standin, "GET", "/api/v1/nodes/vk")).json();
    expect(rawNode.status.conditions[0].lastHeartbeatTime).toBe("2026-01-01T00:00:00Z");

    const replaced = await f.core.replaceNode({ name: "vk", body: { ...node, metadata: { ...node.metadata, labels: { type: "virtual-kubelet", extra: "1" } }, status: { capacity: { cpu: "1" } } } });
    expect(replaced.metadata?.labels?.extra).toBe("1");
    expect(replaced.status?.capacity?.cpu).toBe("100");

    const patched = await f.core.patchNodeStatus(
      { name: "vk", body: { status: { conditions: [{ type: "Ready", status: "False", reason: "KubeletNotReady" }], addresses: [{ type: "Hostname", address: "vk" }] } } },
      smp,
    );
    expect(patched.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(["Ready=False", "MemoryPressure=False"]);
    expect(patched.status?.addresses?.map((a) => a.type)).toEqual(["InternalIP", "Hostname"]);
    expect(patched.spec?.taints?.[0]?.key).toBe("virtual-kubelet.io/provider");
  });

  it("selects nodes by label and by spec.unschedulable", async ({ expect }) => {
    await f.core.createNode({ body: { metadata: { name: "cordoned", labels: { pool: "b" } }, spec: { unschedulable: true } } });
    const byLabel = await f.core.listNode({ labelSelector: "type=virtual-kubelet" });
    expect(byLabel.items.map((n) => n.metadata?.name)).toEqual(["vk"]);
    const cordoned = await f.core.listNode({ fieldSelector: "spec.unschedulable=true" });
    expect(cordoned.items.map((n) => n.metadata?.name)).toEqual(["cordoned"]);
  });
});

describe("lease", () => {
  it("is created in kube-node-lease and renewed with MicroTime (six fractional digits)", async ({ expect }) => {
    const renewTime = new V1MicroTime("2026-05-01T12:00:00.123Z");
    const lease = await f.coord.createNamespacedLease({
      namespace: "kube-node-lease",
      body: { metadata: { name: "vk" }, spec: { holderIdentity: "vk", leaseDurationSeconds: 40, renewTime } },
    });
    expect(lease.spec?.holderIdentity).toBe("vk");
    const stored = (await raw(f.standin, "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk")).json();
    expect(stored).toMatchObject({ kind: "Lease", apiVersion: "coordination.k8s.io/v1", spec: { renewTime: "2026-05-01T12:00:00.123000Z", leaseDurationSeconds: 40 } });

    const renewed = await f.coord.replaceNamespacedLease({
      name: "vk",
      namespace: "kube-node-lease",
      body: { ...lease, spec: { ...lease.spec, renewTime: new V1MicroTime("2026-05-01T12:00:10.456Z") } },
    });
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(Number(lease.metadata?.resourceVersion));
    try {
      await f.coord.replaceNamespacedLease({ name: "vk", namespace: "kube-node-lease", body: lease });
      expect.unreachable("a stale resourceVersion must conflict");
    } catch (err) {
      expect((err as ApiException<string>).code).toBe(409);
    }

    const merged = await f.coord.patchNamespacedLease(
      { name: "vk", namespace: "kube-node-lease", body: { spec: { renewTime: new V1MicroTime("2026-05-01T12:00:20.789Z") } } },
      mergePatch,
    );
    expect(merged.spec?.holderIdentity).toBe("vk");
    const after = (await raw(f.standin, "GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk")).json();
    expect(after.spec.renewTime).toBe("2026-05-01T12:00:20.789000Z");
  });

  it("rejects a renewTime with three fractional digits (a plain Date) with 400, as the API server's decoder does", async ({ expect }) => {
    const res = await raw(f.standin, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", {
      body: { metadata: { name: "millis" }, spec: { holderIdentity: "x", renewTime: "2026-05-01T12:00:00.123Z" } },
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ reason: "BadRequest", message: expect.stringContaining('"2006-01-02T15:04:05.000000Z07:00"') });
  });

  it("may be created by PUT, as the lease registry allows", async ({ expect }) => {
    const res = await raw(f.standin, "PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/by-put", {
      body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "by-put" }, spec: { holderIdentity: "x" } },
    });
    expect(res.status).toBe(201);
    expect((await raw(f.standin, "PUT", "/api/v1/namespaces/default/configmaps/by-put", { body: { metadata: { name: "by-put" } } })).status).toBe(404);
  });
});
