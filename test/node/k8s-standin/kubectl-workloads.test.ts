// Workloads as a user drives them with the real kubectl: kubectl's generator subcommands (protobuf
// bodies), Deployments through rollout, scale, restart and deletion, StatefulSets with claims,
// Indexed Jobs, Endpoints, and scheduling onto a tainted node. A fake kubelet runs the pods.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Fixture } from "./fixture";
import { eventually, raw, startFakeKubelet, startFixture } from "./fixture";
import { HAS_KUBECTL, KUBECTL, kubectlIn } from "./kubectl-runner";

if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl workload tests of the K8s stand-in: ${KUBECTL} not found`);

const MANIFESTS = fileURLToPath(new URL("../../fixtures/manifests/workloads/", import.meta.url));
const TAINT = { key: "virtual-kubelet.io/provider", value: "fly", effect: "NoSchedule" };

describe.skipIf(!HAS_KUBECTL)("kubectl workloads against the stand-in", () => {
  let f: Fixture;
  let dir: string;
  let stopKubelet: () => void;
  let kubectl: (...args: string[]) => Promise<string>;
  const json = async (...args: string[]) => JSON.parse(await kubectl(...args, "-o", "json"));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "k8s-standin-workloads-"));
    f = await startFixture({ kubeconfigPath: join(dir, "kubeconfig") });
    stopKubelet = await startFakeKubelet(f.standin, "vk", [TAINT]);
    kubectl = kubectlIn(dir);
  });
  afterAll(async () => {
    stopKubelet();
    await f.standin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("kubectl create configmap|secret|namespace|deployment|job, which send protobuf, work", async ({ expect }) => {
    expect(await kubectl("create", "namespace", "made")).toBe("namespace/made created\n");
    expect(await kubectl("create", "configmap", "cfg", "-n", "made", "--from-literal=mode=fast", "--from-literal=level=3")).toBe("configmap/cfg created\n");
    expect(await kubectl("create", "secret", "generic", "pw", "-n", "made", "--from-literal=password=hunter2")).toBe("secret/pw created\n");
    expect(await kubectl("create", "deployment", "web", "-n", "made", "--image=nginx:1.27", "--replicas=2", "--port=80")).toBe("deployment.apps/web created\n");
    expect(await kubectl("create", "job", "once", "-n", "made", "--image=busybox", "--", "echo", "hi")).toBe("job.batch/once created\n");
    expect((await json("get", "configmap", "cfg", "-n", "made")).data).toEqual({ mode: "fast", level: "3" });
    const secret = await json("get", "secret", "pw", "-n", "made");
    expect(secret).toMatchObject({ type: "Opaque", data: { password: Buffer.from("hunter2").toString("base64") } });
    const deployment = await json("get", "deployment", "web", "-n", "made");
    expect(deployment.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: "web" } }, strategy: { type: "RollingUpdate" } });
    expect(deployment.spec.template.spec.containers[0]).toMatchObject({ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 80, protocol: "TCP" }] });
    const job = await json("get", "job", "once", "-n", "made");
    expect(job.spec.template.spec.containers[0].command).toEqual(["echo", "hi"]);
    expect(job.spec.selector.matchLabels["batch.kubernetes.io/controller-uid"]).toBe(job.metadata.uid);
  });

  it("keeps a pod that does not tolerate the virtual node's taint Pending, with FailedScheduling, until its namespace defaults the toleration", async ({ expect }) => {
    await kubectl("create", "namespace", "lost");
    await kubectl("run", "stray", "-n", "lost", "--image=nginx");
    await kubectl("wait", "-n", "lost", "--for=condition=PodScheduled=false", "pod/stray", "--timeout=10s");
    const events = await json("get", "events", "-n", "lost", "--field-selector", "reason=FailedScheduling");
    expect(events.items[0]).toMatchObject({
      type: "Warning",
      involvedObject: { kind: "Pod", name: "stray" },
      source: { component: "default-scheduler" },
      message: "0/1 nodes are available: 1 node(s) had untolerated taint {virtual-kubelet.io/provider: fly}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
    });
    expect((await json("get", "pod", "stray", "-n", "lost")).status.phase).toBe("Pending");

    await kubectl("run", "elsewhere", "-n", "lost", "--image=nginx", "--overrides", JSON.stringify({ spec: { nodeSelector: { disk: "ssd" }, tolerations: [{ key: TAINT.key, operator: "Exists" }] } }));
    await kubectl("wait", "-n", "lost", "--for=condition=PodScheduled=false", "pod/elsewhere", "--timeout=10s");
    expect((await json("get", "pod", "elsewhere", "-n", "lost")).status.conditions[0].message).toMatch(/^0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector\./);

    const defaults = JSON.stringify([{ key: TAINT.key, operator: "Exists", effect: "NoSchedule" }]);
    await kubectl("annotate", "namespace", "lost", `scheduler.alpha.kubernetes.io/defaultTolerations=${defaults}`);
    await kubectl("run", "found", "-n", "lost", "--image=nginx");
    await kubectl("wait", "-n", "lost", "--for=condition=Ready", "pod/found", "--timeout=10s");
    expect((await json("get", "pod", "found", "-n", "lost")).spec.nodeName).toBe("vk");
  });

  it("rolls a Deployment out, scales it, restarts it, serves its Endpoints, and deleting it removes its ReplicaSets and pods", async ({ expect }) => {
    await kubectl("apply", "-f", join(MANIFESTS, "nginx-deployment.yaml"));
    expect(await kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=20s")).toMatch(/deployment "nginx-deployment" successfully rolled out\n$/);
    const pods = () => json("get", "pods", "-l", "app=nginx");
    expect((await pods()).items).toHaveLength(3);
    const rs = (await json("get", "rs", "-l", "app=nginx")).items;
    expect(rs).toHaveLength(1);
    const hash = rs[0].metadata.labels["pod-template-hash"];
    expect(rs[0].metadata).toMatchObject({ name: `nginx-deployment-${hash}`, annotations: { "deployment.kubernetes.io/revision": "1" } });

    expect(await kubectl("scale", "deployment/nginx-deployment", "--replicas=5")).toBe("deployment.apps/nginx-deployment scaled\n");
    await kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=20s");
    expect((await pods()).items.filter((p: any) => !p.metadata.deletionTimestamp)).toHaveLength(5);
    const endpoints = await json("get", "endpoints", "nginx");
    expect(endpoints.subsets[0].addresses).toHaveLength(5);
    expect(endpoints.subsets[0].ports).toEqual([{ name: "http", port: 80, protocol: "TCP" }]);
    expect(await kubectl("get", "endpoints", "nginx")).toMatch(/^nginx\s+10\.42\.\d+\.\d+:80,10\.42\.\d+\.\d+:80,10\.42\.\d+\.\d+:80 \+ 2 more\.\.\.\s+\d+s$/m);
    const slices = await json("get", "endpointslices", "-l", "kubernetes.io/service-name=nginx");
    expect(slices.items[0]).toMatchObject({ addressType: "IPv4", ports: [{ name: "http", port: 80, protocol: "TCP" }] });
    expect(slices.items[0].endpoints).toHaveLength(5);

    await kubectl("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.16.1");
    await kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=20s");
    await kubectl("rollout", "restart", "deployment/nginx-deployment");
    await kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=20s");
    const sets = (await json("get", "rs", "-l", "app=nginx")).items;
    expect(sets.map((s: any) => [s.metadata.annotations["deployment.kubernetes.io/revision"], s.spec.replicas]).sort()).toEqual([["1", 0], ["2", 0], ["3", 5]]);
    const live = (await pods()).items.filter((p: any) => !p.metadata.deletionTimestamp);
    expect(live.every((p: any) => p.spec.containers[0].image === "nginx:1.16.1" && p.metadata.annotations["kubectl.kubernetes.io/restartedAt"])).toBe(true);
    const deployment = await json("get", "deployment", "nginx-deployment");
    expect(deployment.status).toMatchObject({ replicas: 5, updatedReplicas: 5, readyReplicas: 5, availableReplicas: 5, observedGeneration: deployment.metadata.generation });
    expect(deployment.status.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ["Available", "True", "MinimumReplicasAvailable"],
      ["Progressing", "True", "NewReplicaSetAvailable"],
    ]);

    expect(await kubectl("delete", "deployment", "nginx-deployment")).toBe('deployment.apps "nginx-deployment" deleted\n');
    await eventually(async () => ((await pods()).items.length === 0 ? true : undefined), 10_000);
    expect((await json("get", "rs", "-l", "app=nginx")).items).toEqual([]);
  });

  it("runs a StatefulSet in order with a claim per pod, stable names and hostnames, and keeps claims on scale-down", async ({ expect }) => {
    await kubectl("apply", "-f", join(MANIFESTS, "web-statefulset.yaml"));
    await kubectl("rollout", "status", "statefulset/web", "--timeout=20s");
    const pods = (await json("get", "pods", "-l", "app=nginx-sts")).items;
    expect(pods.map((p: any) => [p.metadata.name, p.spec.hostname, p.spec.subdomain])).toEqual([
      ["web-0", "web-0", "nginx-sts"],
      ["web-1", "web-1", "nginx-sts"],
    ]);
    expect(pods[1].spec.volumes).toContainEqual({ name: "www", persistentVolumeClaim: { claimName: "www-web-1" } });
    // OrderedReady: web-1 was created only once web-0 was Running and Ready.
    expect(Date.parse(pods[1].metadata.creationTimestamp)).toBeGreaterThanOrEqual(Date.parse(pods[0].metadata.creationTimestamp));
    const claims = (await json("get", "pvc", "-l", "app=nginx-sts")).items.map((c: any) => c.metadata.name);
    expect(claims).toEqual(["www-web-0", "www-web-1"]);
    const endpoints = await json("get", "endpoints", "nginx-sts");
    expect(endpoints.subsets[0].addresses.map((a: any) => a.hostname).sort()).toEqual(["web-0", "web-1"]);

    await kubectl("scale", "statefulset/web", "--replicas=1");
    await eventually(async () => ((await json("get", "pods", "-l", "app=nginx-sts")).items.length === 1 ? true : undefined), 10_000);
    expect((await json("get", "pvc", "-l", "app=nginx-sts")).items).toHaveLength(2);
  });

  it("completes an Indexed Job, one pod per index, and fails a Job past its backoffLimit", async ({ expect }) => {
    await kubectl("apply", "-f", join(MANIFESTS, "indexed-job.yaml"));
    await kubectl("wait", "--for=condition=complete", "job/indexed-job", "--timeout=20s");
    const job = await json("get", "job", "indexed-job");
    expect(job.status).toMatchObject({ succeeded: 3, completedIndexes: "0-2" });
    expect(job.status.conditions.map((c: any) => c.type)).toEqual(["SuccessCriteriaMet", "Complete"]);
    const pods = (await json("get", "pods", "-l", "batch.kubernetes.io/job-name=indexed-job")).items;
    const indexes = pods.map((p: any) => p.metadata.annotations["batch.kubernetes.io/job-completion-index"]).sort();
    expect(indexes).toEqual(["0", "1", "2"]);
    const second = pods.find((p: any) => p.metadata.labels["batch.kubernetes.io/job-completion-index"] === "1");
    expect(second.metadata.name).toMatch(/^indexed-job-1-/);
    expect(second.spec.hostname).toBe("indexed-job-1");
    expect(second.spec.containers[0].env).toContainEqual({ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } });
    expect(await kubectl("get", "job", "indexed-job")).toMatch(/^indexed-job\s+Complete\s+3\/3\s+\d+s\s+\d+s$/m);

    const failing = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "doomed" }, spec: { backoffLimit: 0, template: { metadata: { annotations: { "test.machinelet.dev/exit-code": "3" } }, spec: { restartPolicy: "Never", tolerations: [{ key: TAINT.key, operator: "Exists" }], containers: [{ name: "main", image: "busybox" }] } } } };
    const created = await raw(f.standin, "POST", "/apis/batch/v1/namespaces/default/jobs", { body: failing });
    expect(created.status).toBe(201);
    await kubectl("wait", "--for=condition=failed", "job/doomed", "--timeout=20s");
    const doomed = await json("get", "job", "doomed");
    expect(doomed.status).toMatchObject({ failed: 1 });
    expect(doomed.status.conditions.find((c: any) => c.type === "Failed")).toMatchObject({ reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" });
  });
});
