// podToMachineConfig on real-world manifests: the whole mapping, end to end.
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../src/shared/k8s";
import type { ContainerConfig } from "../../../src/machines/machine-config";
import { podToMachineConfig, type PodTranslation } from "../../../src/worker/translate/pod-to-machine-config";
import { loadObject } from "../../fixtures/manifests/load";
import { appSecretNames, contextOf } from "./resolvers";

const ctx = { cluster: "staging" };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const decode = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

function translated(pod: Pod, context = contextOf({})): Extract<PodTranslation, { ok: true }> {
  const r = podToMachineConfig(pod, context);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r;
}
const container = (r: Extract<PodTranslation, { ok: true }>, name: string): ContainerConfig => {
  const c = r.config.containers?.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
};

describe("nginx Deployment pod", () => {
  const pod = loadObject("nginx-deployment-pod.yaml", "Pod");
  const r = translated(pod);

  it("is a classic single-container Machine", () => {
    expect(r.config.image).toBe("nginx:1.27.3");
    expect(r.config.containers).toBeUndefined();
    expect(r.config.init).toBeUndefined();
    expect(r.config.env).toBeUndefined();
    expect(r.name).toBe("default-nginx-deployment-7c79c4bf97-x8m2p-1f0e6a5c");
    expect(r.region).toBeUndefined();
  });

  it("carries exactly the contract metadata", () => {
    expect(r.config.metadata).toEqual({
      machinelet_cluster: "staging",
      machinelet_pod_uid: "1f0e6a5c-3b1d-4c5e-9f4a-0a1b2c3d4e5f",
      machinelet_namespace: "default",
      machinelet_pod: "nginx-deployment-7c79c4bf97-x8m2p",
    });
  });

  it("maps restart, stop, size and hostname", () => {
    expect(r.config.restart).toEqual({ policy: "always" });
    expect(r.config.stop_config).toEqual({ signal: "SIGTERM", timeout: "30s" });
    expect(r.config.guest).toEqual({ cpu_kind: "shared", cpus: 1, memory_mb: 256 });
    expect(r.config.dns).toEqual({ hostname: "nginx-deployment-7c79c4bf97-x8m2p" });
  });

  it("turns probes into machine checks, resolving the named port", () => {
    expect(r.config.checks).toEqual({
      "nginx-readiness": {
        type: "http", kind: "readiness", port: 80, method: "GET", path: "/", protocol: "http",
        interval: "5s", timeout: "2s", grace_period: "0s", headers: [{ name: "X-Probe", values: ["readiness"] }],
      },
      "nginx-liveness": { type: "http", kind: "informational", port: 80, method: "GET", path: "/", protocol: "http", interval: "10s", timeout: "1s", grace_period: "5s" },
    });
  });

  it("skips the service account volume and says liveness does not restart", () => {
    expect(r.unsupported).toEqual([]);
    expect(r.warnings).toEqual([
      "spec.volumes[0]: the service account token is not mounted: a Machine cannot reach the cluster API",
      "spec.containers[0].livenessProbe: checked, but a failing machine check does not restart the Machine",
    ]);
  });
});

describe("Bitnami redis pod", () => {
  const r = translated(loadObject("redis-exec-probes.yaml", "Pod"));
  const redis = container(r, "redis");

  it("uses containers[] for exec probes, a user and an emptyDir", () => {
    expect(r.config.containers).toHaveLength(1);
    expect(r.config.checks).toBeUndefined();
    expect(redis.user).toBe("1001:1001");
    expect(redis.entrypoint).toEqual(["/bin/bash"]);
    expect(redis.cmd).toEqual(["-c", "/opt/bitnami/scripts/start-scripts/start-master.sh"]);
    expect(redis.env).toMatchObject({ REDIS_REPLICATION_MODE: "master", ALLOW_EMPTY_PASSWORD: "yes" });
  });

  it("maps exec probes to healthchecks with thresholds; liveness stops the container", () => {
    expect(redis.healthchecks).toEqual([
      { name: "redis-readiness", kind: "readiness", exec: { command: ["sh", "-c", "/health/ping_readiness_local.sh 1"] }, interval: 5, timeout: 2, grace_period: 20, failure_threshold: 5, success_threshold: 1 },
      { name: "redis-liveness", kind: "liveness", unhealthy: "stop", exec: { command: ["sh", "-c", "/health/ping_liveness_local.sh 5"] }, interval: 5, timeout: 6, grace_period: 20, failure_threshold: 5, success_threshold: 1 },
    ]);
  });

  it("mounts the sized emptyDir and reports the subPath one", () => {
    expect(r.config.volumes).toEqual([{ name: "redis-data", temp_dir: { storage_type: "disk", size_mb: 2048 } }]);
    expect(redis.mounts).toEqual([{ name: "redis-data", path: "/data" }]);
    expect(r.unsupported).toEqual(["spec.containers[0].volumeMounts[0].subPath: subPath is not available for emptyDir volumes"]);
    expect(r.warnings).toContain("spec.containers[0].securityContext.runAsNonRoot: not enforced on a Fly Machine");
  });
});

describe("init container and native sidecar", () => {
  const r = translated(loadObject("init-and-sidecar.yaml", "Pod"));

  it("orders containers: init, sidecar, app, chained by depends_on", () => {
    expect(r.config.containers?.map((c) => [c.name, c.depends_on, c.restart?.policy])).toEqual([
      ["migrate", undefined, "on-failure"],
      ["logshipper", [{ name: "migrate", condition: "exited_successfully" }], "always"],
      ["myapp", [{ name: "logshipper", condition: "healthy" }], "always"],
    ]);
  });

  it("shares the emptyDir between sidecar and app", () => {
    expect(r.config.volumes).toEqual([{ name: "data", temp_dir: { storage_type: "disk" } }]);
    expect(container(r, "logshipper").mounts).toEqual([{ name: "data", path: "/opt" }]);
    expect(container(r, "myapp").mounts).toEqual([{ name: "data", path: "/opt" }]);
  });

  it("keeps the grace period and the main image", () => {
    expect(r.config.stop_config).toEqual({ signal: "SIGTERM", timeout: "45s" });
    expect(r.config.image).toBe("ghcr.io/example/myapp:2.3.1");
  });

  it("turns the sidecar's startup probe into a readiness healthcheck, with a warning", () => {
    expect(container(r, "logshipper").healthchecks).toEqual([
      { name: "logshipper-startup", kind: "readiness", exec: { command: ["test", "-f", "/opt/logs.txt"] }, interval: 2, timeout: 1, grace_period: 0, failure_threshold: 30, success_threshold: 1 },
    ]);
    expect(r.warnings).toEqual(["spec.initContainers[1].startupProbe: checked continuously as a readiness healthcheck; a container failing it is not restarted"]);
  });
});

describe("downward API pod", () => {
  const r = translated(loadObject("downward-api-multi.yaml", "Pod"));
  const main = container(r, "test-container");
  const client = container(r, "client");

  it("resolves metadata, node, service account, labels, annotations and resource fields to literals", () => {
    expect(main.env).toEqual({
      MY_NODE_NAME: "fks-staging",
      MY_POD_NAME: "dapi-envars-fieldref",
      MY_POD_NAMESPACE: "demo",
      MY_POD_UID: "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
      MY_POD_SERVICE_ACCOUNT: "reader",
      MY_TIER: "backend",
      MY_BUILD: "2026.11.19",
      MY_CPU_LIMIT: "1",
      MY_MEM_LIMIT_MI: "64",
    });
  });

  it("takes pod and host IP from the Machine's private IP", () => {
    expect(main.env_from).toEqual([
      { env_var: "MY_POD_IP", field_ref: "private_ip" },
      { env_var: "MY_HOST_IP", field_ref: "private_ip" },
    ]);
    expect(client.env_from).toEqual([{ env_var: "POD_IP", field_ref: "private_ip" }]);
  });

  it("expands $(VAR) in env and command, keeps $$ as $, reports what only the Machine knows", () => {
    expect(client.env?.GREETING).toBe("hello from dapi-envars-fieldref");
    expect(client.entrypoint?.[2]).toBe("echo pod dapi-envars-fieldref in demo at $(POD_IP), cost $(echo 1); sleep infinity");
    expect(r.unsupported).toEqual(["spec.containers[1].command[2]: $(POD_IP) is only known when the Machine runs and is left unexpanded"]);
  });

  it("writes the downwardAPI volume as files", () => {
    expect(client.files?.map((f) => [f.guest_path, f.mode, decode(f.raw_value)])).toEqual([
      ["/etc/podinfo/labels", 0o644, 'app="dapi"\ntier="backend"'],
      ["/etc/podinfo/name", 0o644, "dapi-envars-fieldref"],
    ]);
  });
});

describe("GPU pod", () => {
  it("is placed by the region annotation on a GPU guest", () => {
    const r = translated(loadObject("gpu-ollama.yaml", "Pod"));
    expect(r.region).toBe("ord");
    expect(r.config.guest).toEqual({ cpu_kind: "performance", cpus: 8, memory_mb: 32768, gpu_kind: "a100-pcie-40gb", gpus: 1 });
    expect(r.warnings).toEqual([expect.stringContaining("Fly GPUs are deprecated")]);
  });
});

describe("job pods", () => {
  it("Never: restart no, command as entrypoint", () => {
    const r = translated(loadObject("job-pi.yaml", "Pod", "pi-8x7kq"));
    expect(r.config.restart).toEqual({ policy: "no" });
    expect(r.config.stop_config).toEqual({ signal: "SIGTERM", timeout: "10s" });
    expect(r.config.init).toEqual({ entrypoint: ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"] });
  });

  it("OnFailure: restart on-failure, args as cmd", () => {
    const r = translated(loadObject("job-pi.yaml", "Pod", "queue-worker-tw2cd"));
    expect(r.config.restart).toEqual({ policy: "on-failure" });
    expect(r.config.init).toEqual({ cmd: ["--queue", "emails", "--once"] });
    expect(r.config.guest).toEqual({ cpu_kind: "shared", cpus: 4, memory_mb: 3072 });
  });
});

describe("PostgreSQL StatefulSet pod", () => {
  const file = "postgres-performance.yaml";
  const pod = loadObject(file, "Pod");
  const objects = {
    configMaps: [loadObject(file, "ConfigMap", "postgres-config"), loadObject(file, "ConfigMap", "postgres-env")],
    secrets: [loadObject(file, "Secret", "postgres-auth"), loadObject(file, "Secret", "postgres-tls")],
    claims: [loadObject(file, "PersistentVolumeClaim")],
  };

  it("with its ConfigMaps, Secrets and volume known, maps them all", () => {
    const r = translated(pod, contextOf({ ...objects, volumeRegion: "ams" }));
    const pg = container(r, "postgres");
    expect(r.unsupported).toEqual([]);
    expect(r.region).toBe("ams");
    expect(r.config.guest).toEqual({ cpu_kind: "performance", cpus: 4, memory_mb: 16384 });
    expect(r.config.stop_config).toEqual({ signal: "SIGTERM", timeout: "120s" });
    expect(r.config.mounts).toEqual([{ volume: "vol_datapostgres0", path: "/var/lib/postgresql/data", name: "data-postgres-0" }]);
    expect(pg.env).toEqual({ POSTGRES_DB: "shop", POSTGRES_USER: "postgres", PGDATA: "/var/lib/postgresql/data/pgdata" });
    expect(pg.secrets).toEqual([{ env_var: "POSTGRES_PASSWORD", name: appSecretNames("db", "postgres-auth", "password").env }]);
    expect(pg.files).toEqual([
      { guest_path: "/etc/postgresql/postgresql.conf", mode: 0o644, raw_value: b64("listen_addresses = '*'\nmax_connections = 200\n") },
      { guest_path: "/etc/postgresql/tls/server.crt", mode: 0o400, secret_name: appSecretNames("db", "postgres-tls", "tls.crt").file },
      { guest_path: "/etc/postgresql/tls/server.key", mode: 0o400, secret_name: appSecretNames("db", "postgres-tls", "tls.key").file },
    ]);
    expect(pg.healthchecks?.map((h) => [h.name, h.kind, h.exec ?? h.tcp])).toEqual([
      ["postgres-readiness", "readiness", { command: ["pg_isready", "-U", "postgres"] }],
      ["postgres-liveness", "liveness", { port: 5432 }],
    ]);
  });

  it("without them, reports each field that needed them", () => {
    const r = translated(pod, ctx);
    expect(r.unsupported).toEqual([
      "spec.volumes[0].persistentVolumeClaim: Fly Volumes are not available to this translation",
      "spec.volumes[1].configMap: ConfigMap values are not available to this translation",
      "spec.volumes[2].secret: Secret values are not available to this translation",
      "spec.containers[0].envFrom[0].configMapRef: ConfigMap values are not available to this translation",
      "spec.containers[0].env[0].valueFrom.secretKeyRef: Secret values are not available to this translation",
    ]);
    expect(container(r, "postgres").env).toEqual({ PGDATA: "/var/lib/postgresql/data/pgdata" });
  });

  it("waits while a referenced Secret, ConfigMap or volume is missing, naming each as the kubelet does", () => {
    const r = podToMachineConfig(pod, contextOf({}));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([]);
    expect(r.waiting).toEqual([
      { reason: "ContainerCreating", message: 'waiting for PersistentVolumeClaim "data-postgres-0" to be bound to a Fly Volume' },
      { reason: "ContainerCreating", message: 'MountVolume.SetUp failed for volume "config" : configmap "postgres-config" not found' },
      { reason: "ContainerCreating", message: 'MountVolume.SetUp failed for volume "tls" : secret "postgres-tls" not found' },
      { reason: "CreateContainerConfigError", message: 'configmap "postgres-env" not found' },
      { reason: "CreateContainerConfigError", message: 'secret "postgres-auth" not found' },
    ]);
  });
});

describe("node agent written for real nodes", () => {
  it("lists everything a Machine cannot do", () => {
    const r = translated(loadObject("node-agent-unsupported.yaml", "Pod"));
    expect(r.unsupported).toEqual([
      "spec.hostNetwork: a Machine has its own network; there is no host network",
      "spec.hostPID: there is no host PID namespace",
      "spec.imagePullSecrets: Fly pulls images without pod pull secrets",
      "spec.containers[0].workingDir: Fly runs the image's working directory",
      "spec.containers[0].lifecycle.preStop: lifecycle hooks are not available",
      "spec.containers[0].securityContext.privileged: privileged containers are not available",
      "spec.containers[0].securityContext.capabilities.add: added capabilities are not available",
      "spec.containers[0].ports[0].hostPort: there are no host ports; expose ports through a Service",
      "spec.volumes[0].hostPath: hostPath volumes are not available on Fly Machines",
      "spec.containers[0].readinessProbe.httpGet.host: Fly checks always connect to the Machine itself",
      "spec.containers[0].livenessProbe.grpc: Fly has no gRPC health checks",
    ]);
    expect(Object.keys(r.config.checks ?? {})).toEqual(["agent-readiness"]);
  });
});
