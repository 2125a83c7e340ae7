/**
 * The stored-object fixtures of test/fixtures/manifests/ that use Secrets, ConfigMaps, emptyDir,
 * the downward API or PersistentVolumeClaims, applied with the real kubectl as a user would (the
 * fields the API server, scheduler and controllers set stripped: userManifests in load.ts), each
 * with the Secrets and ConfigMaps it references (postgres-performance.yaml carries its own; the
 * others reference none). Every pod runs Ready, and its Machine sees exactly the environment and
 * files the pod asked for (the emulator's boot view), besides what Fly itself sets (FLY_*).
 * nginx-deployment-pod.yaml is not among them: its only volume is the service account volume
 * the API server adds, which is stripped. Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userManifests } from "../../fixtures/manifests/load";
import { HAS_KUBECTL, KUBECTL } from "../k8s-standin/kubectl-runner";
import { appsKit, decoded, waitFor, type BootFile, type Claim } from "./apps-kit";
import { startSystem, type System } from "./system";

if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl apply of the stored-object fixtures: ${KUBECTL} not found`);

let sys: System;
let kit: ReturnType<typeof appsKit>;

const FIXTURES = [
  { file: "downward-api-multi.yaml", namespace: "demo", pod: "dapi-envars-fieldref" },
  { file: "init-and-sidecar.yaml", namespace: "shop", pod: "myapp-6d4cf56db6-tk9l7" },
  { file: "postgres-performance.yaml", namespace: "db", pod: "postgres-0" },
  { file: "redis-exec-probes.yaml", namespace: "cache", pod: "redis-master-0" },
];

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  sys = await startSystem({ cluster: "fixturese2e" });
  kit = appsKit(sys);
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
  for (const { file, namespace } of FIXTURES) {
    expect((await kit.kubectl("create", "namespace", namespace)).code).toBe(0);
    const path = join(sys.dir, file);
    // Written as YAML 1.1, as kubectl reads it: a 1.2 writer leaves `yes` unquoted, a boolean to kubectl.
    await writeFile(path, userManifests(`./${file}`).map((doc) => stringify(doc, { version: "1.1" })).join("---\n"));
    const applied = await kit.kubectl("apply", "-f", path);
    expect(applied.code, applied.stderr).toBe(0);
  }
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

/** The env a container sees, without what Fly sets for every Machine. */
const own = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("FLY_")));
const files = (list: BootFile[]) => Object.fromEntries(list.map((f) => [f.path, [f.mode, decoded(f)]]));

describe.skipIf(!HAS_KUBECTL)("kubectl apply of the stored-object fixtures", () => {
  it("every pod runs Ready", async () => {
    for (const { namespace, pod } of FIXTURES) {
      const waited = await kit.kubectl("wait", "-n", namespace, "--for=condition=Ready", `pod/${pod}`, "--timeout=60s");
      expect(waited.code, `${namespace}/${pod}: ${waited.stderr}`).toBe(0);
    }
  }, 120_000);

  it("the downward API pod: each container's fields resolved for this pod, the volume's two files in the container that mounts it", async () => {
    const pod = await kit.json<{ metadata: { uid: string }; spec: { nodeName: string }; status: { podIP: string } }>("get", "pod", "-n", "demo", "dapi-envars-fieldref");
    const { boot } = await kit.bootOfPod("dapi-envars-fieldref", "demo");
    expect(own(boot.env)).toEqual({});
    expect(boot.files).toEqual([]);
    expect(boot.mounts).toEqual([]);
    expect(Object.keys(boot.containers).sort()).toEqual(["client", "test-container"]);
    expect(own(boot.containers["test-container"]!.env)).toEqual({
      MY_NODE_NAME: pod.spec.nodeName,
      MY_POD_NAME: "dapi-envars-fieldref",
      MY_POD_NAMESPACE: "demo",
      MY_POD_UID: pod.metadata.uid,
      MY_POD_IP: pod.status.podIP,
      MY_HOST_IP: pod.status.podIP, // a Machine is its own host
      MY_POD_SERVICE_ACCOUNT: "reader",
      MY_TIER: "backend",
      MY_BUILD: "2026.11.19",
      MY_CPU_LIMIT: "1", // 250m rounded up to whole CPUs, as the kubelet does with the default divisor
      MY_MEM_LIMIT_MI: "64",
    });
    expect(boot.containers["test-container"]!.files).toEqual([]);
    expect(own(boot.containers.client!.env)).toEqual({ POD_NAME: "dapi-envars-fieldref", POD_NAMESPACE: "demo", POD_IP: pod.status.podIP, GREETING: "hello from dapi-envars-fieldref" });
    expect(files(boot.containers.client!.files)).toEqual({ "/etc/podinfo/labels": [0o644, 'app="dapi"\ntier="backend"'], "/etc/podinfo/name": [0o644, "dapi-envars-fieldref"] });
  });

  it("the init and sidecar pod: no env or files; one emptyDir temp dir shared by the sidecar and the app", async () => {
    const { boot, machineId } = await kit.bootOfPod("myapp-6d4cf56db6-tk9l7", "shop");
    expect(boot.mounts).toEqual([]);
    expect(Object.keys(boot.containers).sort()).toEqual(["logshipper", "migrate", "myapp"]);
    for (const c of [boot, ...Object.values(boot.containers)]) {
      expect(own(c.env)).toEqual({});
      expect(c.files).toEqual([]);
    }
    const config = (await kit.machines()).find((m) => m.id === machineId)!.config as MachineConfig;
    expect(config.volumes).toEqual([{ name: "data", temp_dir: { storage_type: "disk" } }]);
    expect(mountsByContainer(config)).toEqual({ migrate: undefined, logshipper: [{ name: "data", path: "/opt" }], myapp: [{ name: "data", path: "/opt" }] });
  });

  it("the PostgreSQL pod: its ConfigMap env and file, its Secret's password and TLS files (mode 0400), its claim's 10 GB volume", async () => {
    const { boot } = await kit.bootOfPod("postgres-0", "db");
    expect(own(boot.env)).toEqual({});
    expect(boot.files).toEqual([]);
    expect(boot.mounts).toEqual([{ path: "/var/lib/postgresql/data", volume_id: expect.stringMatching(/^vol_/), size_gb: 10 }]);
    expect(Object.keys(boot.containers)).toEqual(["postgres"]);
    expect(own(boot.containers.postgres!.env)).toEqual({ POSTGRES_DB: "shop", POSTGRES_USER: "postgres", PGDATA: "/var/lib/postgresql/data/pgdata", POSTGRES_PASSWORD: "s3cr3t" });
    expect(files(boot.containers.postgres!.files)).toEqual({
      "/etc/postgresql/postgresql.conf": [0o644, "listen_addresses = '*'\nmax_connections = 200\n"],
      "/etc/postgresql/tls/server.crt": [0o400, "-----BEGIN CERTIFICATE-----\n"],
      "/etc/postgresql/tls/server.key": [0o400, "-----BEGIN PRIVATE KEY-----\n"],
    });
    await waitFor("the claim Bound", async () => (await kit.json<Claim>("get", "pvc", "-n", "db", "data-postgres-0")).status.phase === "Bound");
  });

  it("the Bitnami redis pod: its literal env (yes/no as strings), the sized emptyDir at /data", async () => {
    const { boot, machineId } = await kit.bootOfPod("redis-master-0", "cache");
    expect(own(boot.env)).toEqual({});
    expect(boot.mounts).toEqual([]);
    expect(Object.keys(boot.containers)).toEqual(["redis"]);
    expect(own(boot.containers.redis!.env)).toEqual({ BITNAMI_DEBUG: "false", REDIS_REPLICATION_MODE: "master", ALLOW_EMPTY_PASSWORD: "yes", REDIS_TLS_ENABLED: "no", REDIS_PORT: "6379" });
    expect(boot.containers.redis!.files).toEqual([]);
    const config = (await kit.machines()).find((m) => m.id === machineId)!.config as MachineConfig;
    // The subPath mount of the other emptyDir (/tmp) is not available on Fly: /tmp stays the rootfs's own.
    expect(config.volumes).toEqual([{ name: "redis-data", temp_dir: { storage_type: "disk", size_mb: 2048 } }]);
    expect(mountsByContainer(config)).toEqual({ redis: [{ name: "redis-data", path: "/data" }] });
  });
});

type MachineConfig = { volumes?: unknown[]; containers?: Array<{ name: string; mounts?: unknown[] }> };
const mountsByContainer = (config: MachineConfig) => Object.fromEntries((config.containers ?? []).map((c) => [c.name, c.mounts]));
