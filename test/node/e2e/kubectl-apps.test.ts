/**
 * An application, not just a pod, with the real kubectl: `kubectl apply -f` of a PostgreSQL
 * Deployment with a ConfigMap, a Secret and a PersistentVolumeClaim runs through the whole system
 * (stand-in, relay, worker, emulator). The machine sees exactly the values, files and volume the
 * pod asked for (the emulator's boot view); the claim shows Bound with its volume's capacity as the
 * PV controller would write it; a shrink is refused by the API server, a growth extends the volume.
 * The Kubernetes tutorial's WordPress and MySQL tiers each see their Secret's value and their own
 * volume, and no value of a Secret they do not reference (of their namespace or another); a Secret
 * volume with a dot-file key lands as a hidden file with the Secret volume's default mode; a changed
 * Secret restarts the machines that use it with the new value, and only those. The
 * Kubernetes docs' downwardAPI volume pod gets its labels, annotations, name, namespace and uid as
 * files; their two-container pod's emptyDir is one temp dir mounted into both containers. A
 * ConfigMap too large for the worker but valid in Kubernetes leaves its pod waiting, saying why.
 * Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAS_KUBECTL, KUBECTL } from "../k8s-standin/kubectl-runner";
import { appsKit, bootTexts, decoded, manifest, waitFor, type Claim, type PodList } from "./apps-kit";
import { startSystem, type System } from "./system";

if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl apply of an application: ${KUBECTL} not found`);

let sys: System;
let kit: ReturnType<typeof appsKit>;

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  sys = await startSystem({ cluster: "appse2e" });
  kit = appsKit(sys);
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

describe.skipIf(!HAS_KUBECTL)("kubectl apply of PostgreSQL with a ConfigMap, a Secret and a claim", () => {
  it("runs; the machine sees what the pod asked for; the claim is Bound; shrink refused, growth extends the volume", async () => {
    const applied = await kit.kubectl("apply", "-f", manifest("postgres-config-secret-pvc.yaml"));
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain("persistentvolumeclaim/postgres-data created");
    const waited = await kit.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=postgres", "--timeout=60s");
    expect(waited.code, waited.stderr).toBe(0);

    const pods = await kit.json<PodList>("get", "pods", "-l", "app=postgres");
    const boot = await kit.boot(await kit.machineOf(pods.items[0]!.metadata.uid));
    expect(boot.env).toMatchObject({ POSTGRES_DB: "appdb", POSTGRES_USER: "app", POSTGRES_PASSWORD: "s3cr3t-canary-pg", PGDATA: "/var/lib/postgresql/data/pgdata" });
    expect(decoded(boot.files.find((f) => f.path === "/docker-entrypoint-initdb.d/init.sql"))).toContain("CREATE TABLE IF NOT EXISTS greetings");
    expect(boot.mounts).toEqual([expect.objectContaining({ path: "/var/lib/postgresql/data", size_gb: 1 })]);

    const claim = await waitFor("the claim Bound", async () => {
      const c = await kit.json<Claim>("get", "pvc", "postgres-data");
      return c.status.phase === "Bound" && c;
    });
    expect(claim.status).toEqual({ phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] });
    const volumeId = boot.mounts[0]!.volume_id;
    const row = await waitFor("the claim names its Fly volume", async () => {
      const out = (await kit.kubectl("get", "pvc", "postgres-data")).stdout;
      return out.includes(volumeId) && out;
    });
    expect(row).toMatch(new RegExp(`postgres-data\\s+Bound\\s+${volumeId}\\s+1Gi\\s+RWO\\s`));
    const described = await kit.kubectl("describe", "pvc", "postgres-data");
    expect(described.stdout).toMatch(/Status:\s+Bound/);

    const shrink = await kit.kubectl("patch", "pvc", "postgres-data", "--type=merge", "-p", '{"spec":{"resources":{"requests":{"storage":"512Mi"}}}}');
    expect(shrink.code).not.toBe(0);
    expect(shrink.stderr).toContain("spec.resources.requests.storage: Forbidden: field can not be less than status.capacity");

    const grow = await kit.kubectl("patch", "pvc", "postgres-data", "--type=merge", "-p", '{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}');
    expect(grow.code, grow.stderr).toBe(0);
    await waitFor("the claim's capacity at 3Gi", async () => (await kit.json<Claim>("get", "pvc", "postgres-data")).status.capacity?.storage === "3Gi");
    expect((await kit.flyApi<{ size_gb: number }>(`/volumes/${volumeId}`)).body.size_gb).toBe(3);
  }, 120_000);
});

/** The env names whose value is the value of some Secret of the cluster. */
const secretEnvNames = (env: Record<string, string>, values: Map<string, string>) =>
  Object.keys(env)
    .filter((k) => [...values.values()].includes(env[k]!))
    .sort();

/**
 * Cluster secrets (`namespace/name/key`) whose value appears anywhere in the boot view, as it is or
 * in base64 (the form of a Fly secret behind a file).
 */
const secretsSeen = (texts: string[], values: Map<string, string>) =>
  [...values].filter(([, v]) => texts.some((t) => t.includes(v) || t.includes(Buffer.from(v).toString("base64")))).map(([k]) => k);

describe.skipIf(!HAS_KUBECTL)("kubectl apply of WordPress and MySQL, and of a dot-file Secret volume", () => {
  it("both tiers Ready; each machine has its Secret's value and its volume, and no other Secret's value", async () => {
    // Secrets the tiers must not see: one of another namespace that a pod there references (so it
    // is a Fly app secret of the app), one of their own namespace that nothing references.
    expect((await kit.kubectl("create", "namespace", "other")).code).toBe(0);
    const dotfiles = await kit.kubectl("apply", "-n", "other", "-f", manifest("secret-dotfiles-pod.yaml"));
    expect(dotfiles.code, dotfiles.stderr).toBe(0);
    expect((await kit.kubectl("wait", "-n", "other", "--for=condition=Ready", "pod/secret-dotfiles-pod", "--timeout=60s")).code).toBe(0);
    const unreferenced = await kit.kubectl("create", "secret", "generic", "unreferenced", "--from-literal=token=unreferenced-canary-wp");
    expect(unreferenced.code, unreferenced.stderr).toBe(0);

    const applied = await kit.kubectl("apply", "-f", manifest("wordpress-mysql.yaml"));
    expect(applied.code, applied.stderr).toBe(0);
    const waited = await kit.kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=wordpress", "--timeout=60s");
    expect(waited.code, waited.stderr).toBe(0);

    const values = await kit.secretValues();
    expect(values.get("default/mysql-pass/password")).toBe("YOUR_PASSWORD");
    const pods = await kit.json<{ items: Array<{ metadata: { uid: string; labels: Record<string, string> } }> }>("get", "pods", "-l", "app=wordpress");
    const tier = async (name: string) => kit.boot(await kit.machineOf(pods.items.find((p) => p.metadata.labels.tier === name)!.metadata.uid));

    const mysql = await tier("mysql");
    expect(mysql.env).toMatchObject({ MYSQL_ROOT_PASSWORD: "YOUR_PASSWORD", MYSQL_PASSWORD: "YOUR_PASSWORD", MYSQL_DATABASE: "wordpress", MYSQL_USER: "wordpress" });
    expect(secretEnvNames(mysql.env, values)).toEqual(["MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD"]);
    expect(mysql.mounts).toEqual([expect.objectContaining({ path: "/var/lib/mysql", size_gb: 20 })]);
    expect(secretsSeen(bootTexts(mysql), values)).toEqual(["default/mysql-pass/password"]);

    const wordpress = await tier("frontend");
    expect(wordpress.env).toMatchObject({ WORDPRESS_DB_HOST: "wordpress-mysql", WORDPRESS_DB_PASSWORD: "YOUR_PASSWORD", WORDPRESS_DB_USER: "wordpress", WORDPRESS_DB_NAME: "wordpress" });
    expect(secretEnvNames(wordpress.env, values)).toEqual(["WORDPRESS_DB_PASSWORD"]);
    expect(wordpress.mounts).toEqual([expect.objectContaining({ path: "/var/www/html", size_gb: 20 })]);
    expect(wordpress.mounts[0]!.volume_id).not.toBe(mysql.mounts[0]!.volume_id);
    expect(secretsSeen(bootTexts(wordpress), values)).toEqual(["default/mysql-pass/password"]);

    for (const claim of ["mysql-pv-claim", "wp-pv-claim"]) {
      await waitFor(`${claim} Bound`, async () => (await kit.json<Claim>("get", "pvc", claim)).status.phase === "Bound");
    }
  }, 150_000);

  it("the dot-file key is a hidden file at the mount path, with the Secret volume's default mode 0644", async () => {
    const { boot } = await kit.bootOfPod("secret-dotfiles-pod", "other");
    expect(boot.files).toEqual([{ path: "/etc/secret-volume/.secret-file", mode: 0o644, content_base64: "dmFsdWUtMg0KDQo=" }]);
    // The Secret's value reaches the machine as a file, never as an environment variable.
    const values = await kit.secretValues();
    expect(secretEnvNames(boot.env, values)).toEqual([]);
    expect(secretsSeen(bootTexts(boot), values)).toEqual(["other/dotfile-secret/.secret-file"]);
  });

  it("a changed Secret restarts both tiers with the new value; a pod using another Secret is left alone", async () => {
    const machineOfTier = async (tier: string) => kit.machineOf((await kit.json<PodList>("get", "pods", "-l", `tier=${tier}`)).items[0]!.metadata.uid);
    const instance = async (id: string) => (await kit.flyApi<{ instance_id: string }>(`/machines/${id}`)).body.instance_id;
    const tiers = { mysql: await machineOfTier("mysql"), frontend: await machineOfTier("frontend") };
    const dotfiles = (await kit.bootOfPod("secret-dotfiles-pod", "other")).machineId;
    const before = { mysql: await instance(tiers.mysql), frontend: await instance(tiers.frontend), dotfiles: await instance(dotfiles) };

    const patched = await kit.kubectl("patch", "secret", "mysql-pass", "--type=merge", "-p", JSON.stringify({ stringData: { password: "rotated-canary-wp" } }));
    expect(patched.code, patched.stderr).toBe(0);
    for (const [tier, id] of Object.entries(tiers)) {
      const boot = await waitFor(`${tier} restarted with the new password`, async () => {
        const b = await kit.boot(id);
        return Object.values(b.env).includes("rotated-canary-wp") && b;
      });
      expect(secretEnvNames(boot.env, await kit.secretValues())).toEqual(tier === "mysql" ? ["MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD"] : ["WORDPRESS_DB_PASSWORD"]);
      expect(Object.values(boot.env)).not.toContain("YOUR_PASSWORD");
      expect(await instance(id)).not.toBe(before[tier as keyof typeof tiers]);
    }
    expect(await instance(dotfiles)).toBe(before.dotfiles);
  }, 90_000);
});

describe.skipIf(!HAS_KUBECTL)("kubectl apply of the docs' downwardAPI volume pod and two-container emptyDir pod", () => {
  it("the downwardAPI files hold the pod's labels, annotations, name, namespace and uid; the emptyDir is one temp dir both containers mount", async () => {
    const applied = await kit.kubectl("apply", "-f", manifest("downward-emptydir-pods.yaml"));
    expect(applied.code, applied.stderr).toBe(0);
    const waited = await kit.kubectl("wait", "--for=condition=Ready", "pod/kubernetes-downwardapi-volume-example", "pod/two-containers", "--timeout=60s");
    expect(waited.code, waited.stderr).toBe(0);

    const pod = await kit.json<{ metadata: { uid: string; annotations: Record<string, string> } }>("get", "pod", "kubernetes-downwardapi-volume-example");
    const dapi = await kit.bootOfPod("kubernetes-downwardapi-volume-example");
    const { boot } = dapi;
    const file = (name: string) => boot.files.find((f) => f.path === `/etc/podinfo/${name}`);
    expect(boot.files.map((f) => [f.path, f.mode])).toEqual(["labels", "annotations", "name", "namespace", "uid"].map((n) => [`/etc/podinfo/${n}`, 0o644]));
    // The kubelet's format: key="value" lines (Go %q), sorted by key, no final newline.
    expect(decoded(file("labels"))).toBe('cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"');
    const annotations = decoded(file("annotations"))!;
    expect(annotations).toMatch(/^build="two"\nbuilder="john-doe"\nkubectl\.kubernetes\.io\/last-applied-configuration="\{/);
    const lastApplied = pod.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]!;
    expect(annotations.split("\n").slice(2).join("\n")).toBe(`kubectl.kubernetes.io/last-applied-configuration=${JSON.stringify(lastApplied)}`);
    expect(decoded(file("name"))).toBe("kubernetes-downwardapi-volume-example");
    expect(decoded(file("namespace"))).toBe("default");
    expect(decoded(file("uid"))).toBe(pod.metadata.uid);
    // A label change reaches the file by an update of the Machine (a restart), not in place as the kubelet would.
    const before = (await kit.flyApi<{ instance_id: string }>(`/machines/${dapi.machineId}`)).body;
    expect((await kit.kubectl("label", "pod", "kubernetes-downwardapi-volume-example", "tier=backend")).code).toBe(0);
    const relabelled = await waitFor("the labels file rewritten", async () => {
      const b = await kit.bootOfPod("kubernetes-downwardapi-volume-example");
      return decoded(b.boot.files.find((f) => f.path === "/etc/podinfo/labels"))!.includes("tier=") && b;
    });
    expect(decoded(relabelled.boot.files.find((f) => f.path === "/etc/podinfo/labels"))).toBe('cluster="test-cluster1"\nrack="rack-22"\ntier="backend"\nzone="us-est-coast"');
    expect(relabelled.machineId).toBe(dapi.machineId);
    expect((await kit.flyApi<{ instance_id: string }>(`/machines/${dapi.machineId}`)).body.instance_id).not.toBe(before.instance_id);

    // Two containers: the Machine's containers[] form, the emptyDir one disk temp dir mounted into each.
    const two = await kit.bootOfPod("two-containers");
    expect(Object.keys(two.boot.containers).sort()).toEqual(["debian-container", "nginx-container"]);
    const machine = (await kit.machines()).find((m) => m.id === two.machineId)!;
    const config = machine.config as { volumes?: unknown[]; containers?: Array<{ name: string; mounts?: unknown[] }>; mounts?: unknown[] };
    expect(config.volumes).toEqual([{ name: "shared-data", temp_dir: { storage_type: "disk" } }]);
    expect(Object.fromEntries((config.containers ?? []).map((c) => [c.name, c.mounts]))).toEqual({
      "nginx-container": [{ name: "shared-data", path: "/usr/share/nginx/html" }],
      "debian-container": [{ name: "shared-data", path: "/pod-data" }],
    });
    expect(config.mounts).toBeUndefined(); // no Fly Volume: an emptyDir is not one
  }, 120_000);
});

describe.skipIf(!HAS_KUBECTL)("a ConfigMap larger than the worker takes, valid in Kubernetes", () => {
  it("its pod waits, and kubectl shows why", async () => {
    const file = join(sys.dir, "big.txt");
    await writeFile(file, "0123456789abcdef\n".repeat(40_000)); // 680,000 bytes: over 512 KiB, under 1 MiB
    const created = await kit.kubectl("create", "configmap", "big", `--from-file=${file}`);
    expect(created.code, created.stderr).toBe(0);
    const overrides = { spec: { volumes: [{ name: "b", configMap: { name: "big" } }], containers: [{ name: "usesbig", image: "nginx", volumeMounts: [{ name: "b", mountPath: "/big" }] }] } };
    expect((await kit.kubectl("run", "usesbig", "--image=nginx", "--overrides", JSON.stringify(overrides))).code).toBe(0);
    const message = await waitFor("the pod waiting, saying why", async () => {
      const got = await kit.json<{ status: { phase: string; containerStatuses?: Array<{ state: { waiting?: { reason: string; message: string } } }> } }>("get", "pod", "usesbig");
      const waiting = got.status.containerStatuses?.[0]?.state.waiting;
      return got.status.phase === "Pending" && waiting?.reason === "ContainerCreating" && waiting.message.includes("too large") && waiting.message;
    });
    expect(message).toBe(`MountVolume.SetUp failed for volume "b" : ConfigMap "big" is too large for machinelet (data["big.txt"]: the object is larger than 524288 bytes, machinelet's limit for one object)`);
  }, 90_000);
});
