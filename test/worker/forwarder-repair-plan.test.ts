// The forwarder repair's decision from one listing, as a pure function: what is drift and what is not.
import { describe, expect, it } from "vitest";
import type { Machine } from "../../src/machines/schemas";
import type { Service } from "../../src/shared/k8s";
import { planForwarderRepair } from "../../src/worker/cluster/forwarder-repair";
import { allocateAppPorts, forwarderMachineConfig } from "../../src/worker/translate/service-plan";

const svc: Service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default", uid: "9d1c0000-0000-4000-8000-000000000001", resourceVersion: "1" },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
} as Service;
const planned = forwarderMachineConfig({ cluster: "c", service: svc, clusterFlycast: "fdaa:0:1::2", appPorts: allocateAppPorts(new Map(), [svc]) })!;
/** The planned config as Fly echoes it: guest filled in, autostop as a boolean, fields of its own. */
const echoed = () => ({ ...structuredClone(planned), guest: { ...planned.guest, kernel_args: [] }, services: planned.services!.map((s) => ({ ...s, autostop: true, force_instance_key: null })) });
const machine = (id: string, over: Partial<Machine> = {}): Machine => ({ id, state: "started", version: "v1", config: echoed() as unknown as Machine["config"], ...over });
const plan = (machines: Machine[], recorded: { id: string | null; version: string | null } = { id: "f1", version: "v1" }) =>
  planForwarderRepair({ machines, recorded, planned, cluster: "c", serviceUid: svc.metadata.uid });

describe("planForwarderRepair", () => {
  it("finds nothing to do for the recorded forwarder as Fly echoes it, started, stopped (idle) or suspended", () => {
    for (const state of ["started", "stopped", "suspended", "starting"]) expect(plan([machine("f1", { state })]), state).toEqual({ row: { kind: "none" }, destroy: [], start: null });
  });

  it("forgets a forwarder that is gone, and adopts one of this Service found by metadata", () => {
    expect(plan([])).toEqual({ row: { kind: "forget", id: "f1" }, destroy: [], start: null });
    expect(plan([machine("f1", { state: "destroyed" })])).toMatchObject({ row: { kind: "forget", id: "f1" } });
    expect(plan([], { id: null, version: null })).toEqual({ row: { kind: "none" }, destroy: [], start: null });
    expect(plan([machine("f2", { version: "v7" })])).toEqual({ row: { kind: "record", id: "f2", version: "v7", adopted: true, drifted: false }, destroy: [], start: null });
  });

  it("destroys every other machine of the Service app, and one of another Service is no forwarder of this one", () => {
    const stranger = machine("x", { config: { ...echoed(), metadata: { machinelet_cluster: "c", machinelet_service_uid: "other" } } as unknown as Machine["config"] });
    expect(plan([stranger, machine("f1"), machine("clone")])).toEqual({ row: { kind: "none" }, destroy: ["x", "clone"], start: null });
    expect(plan([stranger], { id: null, version: null })).toEqual({ row: { kind: "none" }, destroy: ["x"], start: null });
  });

  it("calls a changed route, port or autostart drift, and a moved version with our config only a new version", () => {
    const route = machine("f1", { version: "v2", config: { ...echoed(), env: { FORWARD: "80=[fdaa::9]:1" } } as unknown as Machine["config"] });
    expect(plan([route]).row).toEqual({ kind: "record", id: "f1", version: "v2", adopted: false, drifted: true });
    const noAutostart = machine("f1", { version: "v2", config: { ...echoed(), services: echoed().services.map((s) => ({ ...s, autostart: false })) } as unknown as Machine["config"] });
    expect(plan([noAutostart]).row).toMatchObject({ drifted: true });
    expect(plan([machine("f1", { version: "v3" })]).row).toEqual({ kind: "record", id: "f1", version: "v3", adopted: false, drifted: false });
  });

  it("starts a failed forwarder, unless the update that puts its config back launches it anyway", () => {
    expect(plan([machine("f1", { state: "failed" })]).start).toBe("f1");
    expect(plan([machine("f1", { state: "failed", config: { ...echoed(), env: {} } as unknown as Machine["config"] })]).start).toBeNull();
  });
});
