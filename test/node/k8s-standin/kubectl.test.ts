// A real kubectl against the stand-in, through the kubeconfig it writes. Skipped, with a notice,
// where /usr/bin/kubectl is missing.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { eventually, raw, startFixture } from "./fixture";

const KUBECTL = "/usr/bin/kubectl";
const HAS_KUBECTL = existsSync(KUBECTL);
if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl tests of the K8s stand-in: ${KUBECTL} not found`);

const NODE = "fks-kubectl";
const run = promisify(execFile);

describe.skipIf(!HAS_KUBECTL)("kubectl against the stand-in", () => {
  let f: Fixture;
  let dir: string;
  const kubectl = async (...args: string[]): Promise<string> => {
    // HOME holds kubectl's discovery cache; a fresh one per run keeps runs independent.
    const { stdout } = await run(KUBECTL, args, { env: { PATH: process.env.PATH ?? "", HOME: dir, KUBECONFIG: join(dir, "kubeconfig") }, timeout: 15_000 });
    return stdout;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8s-standin-kubectl-"));
    f = await startFixture({ kubeconfigPath: join(dir, "kubeconfig") });
  });
  afterAll(async () => {
    await f.standin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("gets nodes", async ({ expect }) => {
    const created = await raw(f.standin, "POST", "/api/v1/nodes", {
      body: {
        metadata: { name: NODE, labels: { "kubernetes.io/role": "agent" } },
        status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }], nodeInfo: { kubeletVersion: "v1.32.0-vk" } },
      },
    });
    expect(created.status).toBe(201);
    const out = await kubectl("get", "nodes");
    expect(out.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(out).toMatch(new RegExp(`^${NODE}\\s+Ready\\s+agent\\s+\\d+s\\s+v1.32.0-vk$`, "m"));
  });

  it("runs a pod, which the scheduler binds, and gets it as JSON and as a table", async ({ expect }) => {
    expect(await kubectl("run", "nginx", "--image=nginx")).toBe("pod/nginx created\n");
    const pod = await eventually(async () => {
      const list = JSON.parse(await kubectl("get", "pods", "-o", "json"));
      const item = list.items.find((p: any) => p.metadata.name === "nginx");
      return item?.spec.nodeName ? item : undefined;
    });
    expect(pod).toMatchObject({ apiVersion: "v1", kind: "Pod", spec: { nodeName: NODE, containers: [{ name: "nginx", image: "nginx", imagePullPolicy: "Always" }] } });
    expect(await kubectl("get", "pods")).toMatch(/^nginx\s+0\/1\s+Pending\s+0\s+\d+s$/m);
  });

  it("applies a manifest, then applies a change as a strategic merge patch", async ({ expect }) => {
    const manifest = (image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: main
    image: ${image}
`;
    const file = join(dir, "web.yaml");
    await writeFile(file, manifest("nginx:1.27"));
    expect(await kubectl("apply", "-f", file)).toBe("pod/web created\n");
    await writeFile(file, manifest("nginx:1.28"));
    expect(await kubectl("apply", "-f", file)).toBe("pod/web configured\n");
    expect(await kubectl("apply", "-f", file)).toBe("pod/web unchanged\n");
    const web = await f.core.readNamespacedPod({ name: "web", namespace: "default" });
    expect(web.spec?.containers[0]?.image).toBe("nginx:1.28");
    expect(web.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toContain("nginx:1.28");
  });

  it("deletes a pod without waiting, leaving it terminating for the kubelet", async ({ expect }) => {
    expect(await kubectl("delete", "pod", "nginx", "--wait=false")).toBe('pod "nginx" deleted\n');
    const pod = await f.core.readNamespacedPod({ name: "nginx", namespace: "default" });
    expect(pod.metadata?.deletionTimestamp).toBeDefined();
    expect(pod.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect(await kubectl("get", "pod", "nginx")).toMatch(/^nginx\s+0\/1\s+Terminating\s+/m);
  });
});
