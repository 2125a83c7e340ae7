/**
 * Images as the kubelet reports them, driven without HTTP over the cluster's real stores (see
 * support/cluster-harness.ts): a reference that does not parse waits as InvalidImageName with no
 * call to Fly; an image Fly cannot fetch is ErrImagePull, then ImagePullBackOff, its creates
 * retried 10 s, 20 s, 40 s ... 300 s apart; a corrected image is pulled at once.
 */
import { describe, expect, it } from "vitest";
import { pod } from "./helpers";
import { withCluster, type Harness } from "./support/cluster-harness";

const waiting = (h: Harness, uid: string) => h.pod(uid)?.status?.containerStatuses?.[0]?.state?.waiting;
const withImage = (p: ReturnType<typeof pod>, image: string, rv: number) => ({
  ...p,
  metadata: { ...p.metadata, resourceVersion: String(rv) },
  spec: { ...p.spec, containers: [{ ...p.spec.containers[0], image }] },
});

describe("images", () => {
  it("an invalid reference: InvalidImageName with the kubelet's message, Pending, no call to Fly and no retry; a valid one runs", () =>
    withCluster(async (h) => {
      const p = pod({ image: "Not A Valid/Image::name" });
      const message = 'Failed to apply default image tag "Not A Valid/Image::name": couldn\'t parse image name "Not A Valid/Image::name": invalid reference format';
      expect(h.event("ADDED", p)).toMatchObject({ outcome: "applied", message: `waiting: ${message}` });
      expect(await h.converge(p.metadata.uid)).toEqual([{ next: "done" }]);
      expect(await h.pass()).toMatchObject({ created: 0 });
      expect(h.fly.ops).toEqual(["list"]);
      expect(h.pod(p.metadata.uid)!.status).toMatchObject({ phase: "Pending", reason: "InvalidImageName", message });
      expect(waiting(h, p.metadata.uid)).toEqual({ reason: "InvalidImageName", message });

      h.event("MODIFIED", withImage(p, "nginx:1.27", 101));
      await h.converge(p.metadata.uid);
      expect(h.pod(p.metadata.uid)).toMatchObject({ machineState: "started", problem: null, phase: "Running" });
    }));

  it("an image that does not exist: ErrImagePull, then ImagePullBackOff; creates 10, 20, 40, 80, 160, 300, 300 s apart; a fixed image is created at once", () =>
    withCluster(async (h) => {
      h.fly.missingImages.add("nginx:nope");
      const p = pod({ image: "nginx:nope" });
      const uid = p.metadata.uid;
      h.event("ADDED", p);
      const creates: number[] = [];
      const reasons = new Set<string>();
      while (creates.length < 8) {
        const before = h.fly.calls.length;
        const r = await h.step(uid);
        if (h.fly.ops.slice(before).includes("create")) {
          creates.push(h.clock.now);
          expect(waiting(h, uid)).toEqual({ reason: "ErrImagePull", message: 'Failed to pull image "nginx:nope": failed to launch VM: failed to resolve reference "nginx:nope": nginx:nope: not found' });
        } else {
          expect(waiting(h, uid)).toEqual({ reason: "ImagePullBackOff", message: 'Back-off pulling image "nginx:nope": ErrImagePull: failed to launch VM: failed to resolve reference "nginx:nope": nginx:nope: not found' });
        }
        reasons.add(waiting(h, uid)!.reason!);
        expect(h.pod(uid)!.status!.phase).toBe("Pending");
        expect(r.next).toBe("again");
        if (r.next === "again") h.clock.now += r.inMs;
      }
      expect(creates.slice(1).map((t, i) => (t - creates[i]!) / 1000)).toEqual([10, 20, 40, 80, 160, 300, 300]);
      expect([...reasons]).toEqual(["ErrImagePull", "ImagePullBackOff"]);
      expect(h.fly.machines.size).toBe(0);

      // A reconcile pass schedules the pod, but the back-off holds.
      h.fly.calls.length = 0;
      await h.step(uid);
      expect(h.fly.ops).toEqual([]);

      h.event("MODIFIED", withImage(p, "nginx:1.27", 101));
      await h.converge(uid);
      expect(h.fly.ops).toEqual(["create", "wait"]);
      expect(h.pod(uid)).toMatchObject({ machineState: "started", problem: null, phase: "Running" });
    }));

  it("an update to an image that does not exist leaves the machine as it was, shows the back-off, and applies once the image is fixed", () =>
    withCluster(async (h) => {
      h.fly.missingImages.add("nginx:nope");
      const p = pod({ image: "nginx:1.27" });
      const uid = p.metadata.uid;
      h.event("ADDED", p);
      await h.converge(uid);
      const machineId = h.pod(uid)!.machineId!;
      h.event("MODIFIED", withImage(p, "nginx:nope", 101));
      await h.step(uid);
      expect(h.fly.machines.get(machineId)!.config!.image).toBe("nginx:1.27");
      expect(h.pod(uid)!.status).toMatchObject({ phase: "Running", reason: "ErrImagePull" });
      await h.step(uid);
      expect(h.pod(uid)!.status!.reason).toBe("ImagePullBackOff");

      h.event("MODIFIED", withImage(p, "nginx:1.28", 102));
      await h.converge(uid);
      expect(h.fly.machines.get(machineId)!.config!.image).toBe("nginx:1.28");
      expect(h.pod(uid)).toMatchObject({ problem: null, phase: "Running" });
    }));
});
