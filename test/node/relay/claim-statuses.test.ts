/**
 * ClaimStatuses writes the worker's view back onto machinelet's own claims only. A claim the PV
 * controller gave to another provisioner, or bound to a PersistentVolume, is that controller's:
 * writing Pending over its Bound would be undone at once, and each write is an event for the
 * other side (a write war, the claim's phase flapping).
 */
import { describe, expect, it } from "vitest";
import type { ClaimView } from "../../../src/shared/contract";
import { ClaimStatuses } from "../../../src/relay/claim-statuses";
import type { EventRecorder } from "../../../src/relay/events/event-recorder";
import type { KubeObject } from "../../../src/relay/kube-api";
import { memoryLog } from "./helpers";
import { recordingApi, viewWorker, writeBackOnce } from "./write-back-fakes";

const UID = "4f7c1c7e-0b1d-4c55-9d51-1f0e8a3c2b10";
const BASE = "/api/v1/namespaces/default/persistentvolumeclaims/data";

function claim(extra: { annotations?: Record<string, string>; spec?: Record<string, unknown>; status?: Record<string, unknown> } = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: "default", uid: UID, resourceVersion: "41", ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeMode: "Filesystem", ...extra.spec },
    status: extra.status ?? { phase: "Pending" },
  };
}

const pendingView: ClaimView = {
  namespace: "default",
  name: "data",
  uid: UID,
  phase: "Pending",
  capacity: null,
  accessModes: ["ReadWriteOnce"],
  event: { type: "Normal", reason: "WaitForFirstConsumer", message: "waiting for first consumer to be created before binding" },
  volume: null,
};
const boundView: ClaimView = {
  ...pendingView,
  phase: "Bound",
  capacity: "1Gi",
  event: null,
  volume: { id: "vol_4f7c1c7e0b1d4c559d51", name: "pvc_4f7c1c7e0b1d4c559d511f0e8a", region: "ord", sizeGb: 1 },
};

async function writeBack(pvc: KubeObject, view: ClaimView) {
  const { worker, asked } = viewWorker({ "/claims/default/data": view });
  const { api, sent } = recordingApi();
  const recorded: unknown[] = [];
  const events = { record: async (_obj: unknown, o: unknown) => void recorded.push(o) } as unknown as EventRecorder;
  const loop = new ClaimStatuses({ worker, api, log: memoryLog().log, events, backoff: { baseMs: 10, maxMs: 50 } });
  const settled = await writeBackOnce(loop, pvc, asked);
  return { sent, recorded, settled };
}

describe("claim status write-back: claims of another provisioner", () => {
  const boundByLocalPath = claim({
    annotations: {
      "pv.kubernetes.io/bind-completed": "yes",
      "pv.kubernetes.io/bound-by-controller": "yes",
      "volume.kubernetes.io/selected-node": "k3s-agent-1",
      "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
      "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
    },
    spec: { storageClassName: "local-path", volumeName: `pvc-${UID}` },
    status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" } },
  });
  const boundToStaticPv = claim({
    annotations: { "pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes" },
    spec: { storageClassName: "", volumeName: "nfs-share" },
    status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "5Gi" } },
  });
  const handedToEbs = claim({
    annotations: { "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com", "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com" },
    spec: { storageClassName: "gp3" },
  });

  it.each([
    ["bound by the PV controller to a local-path volume (the worker sees no Fly Volume)", boundByLocalPath, pendingView],
    ["bound to a pre-made PersistentVolume", boundToStaticPv, pendingView],
    ["handed to another provisioner, even when the worker has a Fly Volume for it", handedToEbs, boundView],
  ])("writes nothing on a claim %s", async (_what, pvc, view) => {
    const { sent, recorded, settled } = await writeBack(pvc, view);
    expect(sent).toEqual([]);
    expect(recorded).toEqual([]);
    expect(settled).toBe(true); // not asked about again and again
  });
});

describe("claim status write-back: machinelet's claims", () => {
  it("binds a new claim to its Fly Volume and writes Bound", async () => {
    const { sent } = await writeBack(claim(), boundView);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH ${BASE}`, `PATCH ${BASE}/status`]);
    expect(sent[0]!.body).toMatchObject({ metadata: { uid: UID, resourceVersion: "41" }, spec: { volumeName: boundView.volume!.id } });
    expect(sent[1]!.body).toEqual({ metadata: { uid: UID }, status: { phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] } });
  });

  it("writes the status of a claim already bound to its Fly Volume", async () => {
    const pvc = claim({ annotations: { "pv.kubernetes.io/bind-completed": "yes" }, spec: { volumeName: boundView.volume!.id } });
    const { sent } = await writeBack(pvc, boundView);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH ${BASE}/status`]);
  });

  it("sends nothing when the claim already shows the view", async () => {
    const pvc = claim({
      annotations: { "pv.kubernetes.io/bind-completed": "yes" },
      spec: { volumeName: boundView.volume!.id },
      status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" } },
    });
    const { sent } = await writeBack(pvc, boundView);
    expect(sent).toEqual([]);
  });
});
