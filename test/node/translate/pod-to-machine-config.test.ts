// podToMachineConfig, one rule per case.
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../src/shared/k8s";
import { needsContainers, podToMachineConfig, type PodTranslation } from "../../../src/worker/translate/pod-to-machine-config";
import { makePod, oneContainer } from "./pods";
import { contextOf } from "./resolvers";

const ctx = { cluster: "staging" };
const ok = (pod: Pod, context: Parameters<typeof podToMachineConfig>[1] = ctx): Extract<PodTranslation, { ok: true }> => {
  const r = podToMachineConfig(pod, context);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r;
};
const errorsOf = (pod: Pod, context: Parameters<typeof podToMachineConfig>[1] = ctx): string[] => {
  const r = podToMachineConfig(pod, context);
  if (r.ok) throw new Error("expected errors");
  return r.errors;
};
const waitingOf = (pod: Pod, context: Parameters<typeof podToMachineConfig>[1]) => {
  const r = podToMachineConfig(pod, context);
  if (r.ok) throw new Error("expected the pod to wait");
  expect(r.errors).toEqual([]);
  return r.waiting;
};
const cm = (name: string, data: Record<string, string>, binaryData?: Record<string, string>) => ({
  metadata: { name, namespace: "default", uid: `cm-${name}`, resourceVersion: "1" },
  data,
  ...(binaryData ? { binaryData } : {}),
});
const secret = (name: string, data: Record<string, string>) => ({ metadata: { name, namespace: "default", uid: `s-${name}`, resourceVersion: "1" }, data });

describe("restart and stop", () => {
  it.each([
    [undefined, "always"],
    ["Always", "always"],
    ["OnFailure", "on-failure"],
    ["Never", "no"],
  ])("restartPolicy %s -> %s", (policy, expected) => {
    expect(ok(oneContainer({}, policy ? { restartPolicy: policy } : {})).config.restart).toEqual({ policy: expected });
  });

  it.each([
    [undefined, "30s"],
    [0, "0s"],
    [3600, "3600s"],
  ])("terminationGracePeriodSeconds %s -> stop timeout %s", (grace, timeout) => {
    const pod = oneContainer({}, grace === undefined ? {} : { terminationGracePeriodSeconds: grace });
    expect(ok(pod).config.stop_config).toEqual({ signal: "SIGTERM", timeout });
  });

  it("a container stop signal replaces SIGTERM", () => {
    expect(ok(oneContainer({ lifecycle: { stopSignal: "SIGQUIT" } })).config.stop_config).toEqual({ signal: "SIGQUIT", timeout: "30s" });
  });

  it("a stop signal Fly lacks is reported", () => {
    const r = ok(oneContainer({ lifecycle: { stopSignal: "SIGWINCH" } }));
    expect(r.config.stop_config).toEqual({ signal: "SIGTERM", timeout: "30s" });
    expect(r.unsupported).toEqual([expect.stringMatching(/^spec\.containers\[0\]\.lifecycle\.stopSignal: Fly stops with one of SIGHUP/)]);
  });

  it("in containers[] the stop signal is per container", () => {
    const pod = makePod({ containers: [{ name: "a", image: "x", lifecycle: { stopSignal: "SIGINT" } }, { name: "b", image: "y" }] });
    const r = ok(pod);
    expect(r.config.containers?.map((c) => c.stop)).toEqual([{ signal: "SIGINT" }, undefined]);
    expect(r.config.stop_config).toEqual({ signal: "SIGTERM", timeout: "30s" });
  });
});

describe("command, args, tty", () => {
  it("command -> init.entrypoint, args -> init.cmd", () => {
    expect(ok(oneContainer({ command: ["/bin/server"], args: ["--port", "8080"] })).config.init).toEqual({ entrypoint: ["/bin/server"], cmd: ["--port", "8080"] });
  });
  it("tty -> init.tty", () => {
    expect(ok(oneContainer({ tty: true, stdin: true })).config.init).toEqual({ tty: true });
  });
  it("tty in containers[] is reported", () => {
    const r = ok(makePod({ containers: [{ name: "a", image: "x", tty: true }, { name: "b", image: "y" }] }));
    expect(r.unsupported).toEqual(["spec.containers[0].tty: a terminal is only available to single-container Machines"]);
  });
});

describe("placement and naming", () => {
  it("fly.io/region -> region", () => {
    expect(ok(oneContainer({}), ctx).region).toBeUndefined();
    expect(ok(makePod({ containers: [{ name: "a", image: "x" }] }, { annotations: { "fly.io/region": "fra" } })).region).toBe("fra");
  });
  it("rejects a malformed region", () => {
    expect(errorsOf(makePod({ containers: [{ name: "a", image: "x" }] }, { annotations: { "fly.io/region": "Frankfurt" } }))).toEqual([
      'metadata.annotations["fly.io/region"]: expected a Fly region code such as "ams", got "Frankfurt"',
    ]);
  });
  it("hostname is spec.hostname, else the pod name cut to 63 characters", () => {
    expect(ok(oneContainer({}, { hostname: "db-0" })).config.dns).toEqual({ hostname: "db-0" });
    const long = `${"a".repeat(62)}-bcd`;
    expect(ok(makePod({ containers: [{ name: "a", image: "x" }] }, { name: long })).config.dns?.hostname).toBe("a".repeat(62));
  });
  it("dnsConfig -> dns", () => {
    const pod = oneContainer({}, { dnsPolicy: "None", dnsConfig: { nameservers: ["fdaa::3"], searches: ["svc.cluster.local"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] } });
    expect(ok(pod).config.dns).toEqual({ hostname: "web", nameservers: ["fdaa::3"], searches: ["svc.cluster.local"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] });
  });
});

describe("form", () => {
  const emptyDir = { volumes: [{ name: "scratch", emptyDir: {} }] };
  const memory = { volumes: [{ name: "scratch", emptyDir: { medium: "Memory" } }] };
  const sized = { volumes: [{ name: "scratch", emptyDir: { sizeLimit: "500Mi" } }] };
  const scratch = { volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] };
  it.each([
    ["a plain container", oneContainer({ env: [{ name: "A", value: "1" }] }), false],
    ["two containers", makePod({ containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] }), true],
    ["an init container", makePod({ initContainers: [{ name: "i", image: "x" }], containers: [{ name: "a", image: "y" }] }), true],
    ["the pod IP in env", oneContainer({ env: [{ name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }] }), false],
    ["the pod name in env", oneContainer({ env: [{ name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }), false],
    ["a secretKeyRef", oneContainer({ env: [{ name: "S", valueFrom: { secretKeyRef: { name: "s", key: "k", optional: true } } }] }), false],
    ["an envFrom secretRef", oneContainer({ envFrom: [{ secretRef: { name: "s", optional: true } }] }), false],
    ["an exec probe", oneContainer({ readinessProbe: { exec: { command: ["true"] } } }), true],
    ["an http probe", oneContainer({ readinessProbe: { httpGet: { port: 80 } } }), false],
    ["a plain emptyDir mount (a rootfs directory)", oneContainer(scratch, emptyDir), false],
    ["a memory emptyDir mount", oneContainer(scratch, memory), true],
    ["a sized emptyDir mount", oneContainer(scratch, sized), true],
    ["an unmounted emptyDir", oneContainer({}, memory), false],
    ["a pod runAsUser", oneContainer({}, { securityContext: { runAsUser: 1000 } }), false],
  ])("%s: containers[] = %s", (_name, pod, expected) => {
    expect(needsContainers(pod.spec)).toBe(expected);
    expect(ok(pod, contextOf({})).config.containers !== undefined).toBe(expected);
  });

  it("the classic form carries secrets, the pod IP and the user in processes[0], ignoring app secrets", () => {
    const pod = oneContainer(
      { env: [{ name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }, { name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }] },
      { securityContext: { runAsUser: 1000, runAsGroup: 1000 } },
    );
    const r = ok(pod, contextOf({ secrets: [secret("db", { password: "cHc=" }) as never], secretsVersion: 7 }));
    expect(r.config.processes).toEqual([
      { ignore_app_secrets: true, secrets: [{ env_var: "PW", name: "MLS_default__db__password" }], env_from: [{ env_var: "IP", field_ref: "private_ip" }], user: "1000:1000" },
    ]);
    expect(r.minSecretsVersion).toBe(7);
  });

  it("every Machine ignores app secrets, with or without references", () => {
    expect(ok(oneContainer({})).config.processes).toEqual([{ ignore_app_secrets: true }]);
    expect(ok(makePod({ containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] })).config.processes).toEqual([{ ignore_app_secrets: true }]);
    expect(ok(oneContainer({})).minSecretsVersion).toBe(0);
  });

  it("a plain emptyDir of a single container is a rootfs directory, said so once", () => {
    const r = ok(oneContainer(scratch, emptyDir), contextOf({}));
    expect(r.config.volumes).toBeUndefined();
    expect(r.warnings).toEqual(["spec.volumes[0].emptyDir: a directory of the Machine's root filesystem, which Fly resets when the Machine restarts; it exists only if the image has it"]);
  });
});

describe("environment", () => {
  it("later names win, envFrom prefixes apply, env overrides envFrom", () => {
    const pod = oneContainer({
      envFrom: [{ configMapRef: { name: "settings" }, prefix: "APP_" }],
      env: [
        { name: "APP_LEVEL", value: "debug" },
        { name: "X", value: "1" },
        { name: "X", value: "2" },
      ],
    });
    const r = ok(pod, contextOf({ configMaps: [cm("settings", { LEVEL: "info", MODE: "fast" }) as never] }));
    expect(r.config.env).toEqual({ APP_LEVEL: "debug", APP_MODE: "fast", X: "2" });
  });

  it("configMapKeyRef: value, optional, and waiting for a missing key or ConfigMap as the kubelet does", () => {
    const context = contextOf({ configMaps: [cm("settings", { level: "warn" }) as never] });
    const pod = (ref: Record<string, unknown>) => oneContainer({ env: [{ name: "LEVEL", valueFrom: { configMapKeyRef: { name: "settings", ...ref } } }] });
    expect(ok(pod({ key: "level" }), context).config.env).toEqual({ LEVEL: "warn" });
    expect(ok(pod({ key: "nope", optional: true }), context).config.env).toBeUndefined();
    expect(waitingOf(pod({ key: "nope" }), context)).toEqual([{ reason: "CreateContainerConfigError", message: "couldn't find key nope in ConfigMap default/settings" }]);
    expect(waitingOf(pod({ key: "level" }), contextOf({}))).toEqual([{ reason: "CreateContainerConfigError", message: 'configmap "settings" not found' }]);
  });

  it("secretKeyRef names the key's Fly app secret; a missing key or Secret waits; an unwritten key waits", () => {
    const context = contextOf({ secrets: [secret("db", { password: "cHc=" }) as never] });
    const pod = (key: string) => oneContainer({ env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key } } }] });
    expect(ok(pod("password"), context).config.processes?.[0]?.secrets).toEqual([{ env_var: "PW", name: "MLS_default__db__password" }]);
    expect(waitingOf(pod("user"), context)).toEqual([{ reason: "CreateContainerConfigError", message: "couldn't find key user in Secret default/db" }]);
    expect(waitingOf(pod("password"), contextOf({}))).toEqual([{ reason: "CreateContainerConfigError", message: 'secret "db" not found' }]);
    expect(waitingOf(pod("password"), contextOf({ secrets: [secret("db", { password: "cHc=" }) as never], unwritten: ["db/password"] }))).toEqual([
      { reason: "CreateContainerConfigError", message: "key password of Secret default/db is not stored in Fly yet" },
    ]);
  });

  it("envFrom secretRef lists exactly the Secret's keys, prefixed; names Fly refuses are reported", () => {
    const context = contextOf({ secrets: [secret("app", { API_KEY: "YQ==", "tls.crt": "Yg==" }) as never], secretsVersion: 3 });
    const r = ok(oneContainer({ envFrom: [{ secretRef: { name: "app" }, prefix: "X_" }] }), context);
    expect(r.config.processes?.[0]?.secrets).toEqual([{ env_var: "X_API_KEY", name: "MLS_default__app___41_50_49_5F_4B_45_59" }]);
    expect(r.unsupported).toEqual(['spec.containers[0].envFrom[0].secretRef: "X_tls.crt" is not a name Fly accepts for a secret environment variable']);
  });

  it("a ConfigMap over Kubernetes' 1 MiB cap and a config over 1 MiB are refused with the reason", () => {
    const big = cm("big", { a: "x".repeat(1 << 20) });
    expect(errorsOf(oneContainer({ envFrom: [{ configMapRef: { name: "big" } }] }), contextOf({ configMaps: [big as never] }))).toEqual([
      'spec.containers[0].envFrom[0].configMapRef: ConfigMap "big" holds 1048577 bytes; Kubernetes caps a ConfigMap at 1048576 bytes',
    ]);
    const half = (n: string) => cm(n, { a: "x".repeat(600_000) });
    const pod = oneContainer({ envFrom: [{ configMapRef: { name: "one" } }, { configMapRef: { name: "two" }, prefix: "B" }] });
    const [error] = errorsOf(pod, contextOf({ configMaps: [half("one"), half("two")] as never }));
    expect(error).toMatch(/^spec: the Machine config would be \d+ bytes \(ConfigMap files and values travel inside it\); machinelet keeps it under 1048576 bytes$/);
  });

  it("an optional missing envFrom source adds nothing", () => {
    const r = ok(oneContainer({ envFrom: [{ configMapRef: { name: "absent", optional: true } }] }), contextOf({}));
    expect(r.config.env).toBeUndefined();
    expect(r.unsupported).toEqual([]);
  });

  it("reports fields the downward API cannot give", () => {
    const r = ok(oneContainer({ env: [{ name: "L", valueFrom: { fieldRef: { fieldPath: "metadata.labels" } } }, { name: "F", valueFrom: { fileKeyRef: { path: "x", volumeName: "v", key: "k" } } }] }));
    expect(r.unsupported).toEqual([
      'spec.containers[0].env[0].valueFrom.fieldRef: field "metadata.labels" is not available',
      "spec.containers[0].env[1].valueFrom: this value source is not available on Fly Machines",
    ]);
  });

  it("resourceFieldRef falls back to the guest when no limit is set", () => {
    const pod = oneContainer({
      resources: { requests: { cpu: "1500m", memory: "1Gi" } },
      env: [
        { name: "CPUS", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
        { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
        { name: "REQ_MILLI", valueFrom: { resourceFieldRef: { resource: "requests.cpu", divisor: "1m" } } },
        { name: "OTHER", valueFrom: { resourceFieldRef: { resource: "limits.ephemeral-storage" } } },
      ],
    });
    const r = ok(pod);
    expect(r.config.env).toEqual({ CPUS: "2", MEM: "1024", REQ_MILLI: "1500" });
    expect(r.unsupported).toEqual(['spec.containers[0].env[3].valueFrom.resourceFieldRef: resource "limits.ephemeral-storage" is not available']);
  });
});

describe("probes", () => {
  it("HTTPS probes skip certificate checks, as the kubelet does", () => {
    const r = ok(oneContainer({ readinessProbe: { httpGet: { port: 8443, scheme: "HTTPS", path: "/healthz" } } }));
    expect(r.config.checks?.["app-readiness"]).toMatchObject({ type: "http", protocol: "https", tls_skip_verify: true, path: "/healthz", port: 8443 });
  });

  it("tcp and startup probes; thresholds warned on machine checks", () => {
    const r = ok(oneContainer({ startupProbe: { tcpSocket: { port: 5432 }, failureThreshold: 30, periodSeconds: 2 } }));
    expect(r.config.checks).toEqual({ "app-startup": { type: "tcp", kind: "informational", port: 5432, interval: "2s", timeout: "1s", grace_period: "0s" } });
    expect(r.warnings).toEqual([
      "spec.containers[0].startupProbe: checked for the pod's status, but it neither delays the other checks nor restarts the Machine",
      "spec.containers[0].startupProbe.failureThreshold: machine checks have no thresholds",
    ]);
  });

  it("an unknown named port is an error", () => {
    expect(errorsOf(oneContainer({ livenessProbe: { httpGet: { port: "web" } } }))).toEqual(['spec.containers[0].livenessProbe.httpGet.port: container "app" has no port named "web"']);
  });

  it("http healthchecks in containers[] carry method, scheme and headers", () => {
    const pod = makePod({
      containers: [
        { name: "web", image: "x", ports: [{ name: "http", containerPort: 8080 }], livenessProbe: { httpGet: { port: "http", path: "/live", httpHeaders: [{ name: "A", value: "1" }, { name: "A", value: "2" }] } } },
        { name: "side", image: "y" },
      ],
    });
    expect(ok(pod).config.containers?.[0]?.healthchecks).toEqual([
      {
        name: "web-liveness", kind: "liveness", unhealthy: "stop", interval: 10, timeout: 1, grace_period: 0, failure_threshold: 3, success_threshold: 1,
        http: { port: 8080, method: "GET", path: "/live", scheme: "http", headers: [{ name: "A", values: ["1", "2"] }] },
      },
    ]);
  });
});

describe("containers[]", () => {
  it("a sidecar without probes is waited for until started", () => {
    const pod = makePod({ initContainers: [{ name: "proxy", image: "envoy", restartPolicy: "Always" }], containers: [{ name: "app", image: "x" }] });
    expect(ok(pod).config.containers?.[1]?.depends_on).toEqual([{ name: "proxy", condition: "started" }]);
  });

  it("init containers chain in order and app containers all wait for the last", () => {
    const pod = makePod({
      initContainers: [{ name: "one", image: "x" }, { name: "two", image: "x" }],
      containers: [{ name: "a", image: "x" }, { name: "b", image: "x" }],
    });
    expect(ok(pod).config.containers?.map((c) => [c.name, c.depends_on?.[0]?.name])).toEqual([
      ["one", undefined],
      ["two", "one"],
      ["a", "two"],
      ["b", "two"],
    ]);
  });

  it("init containers are not restarted in a Never pod", () => {
    const pod = makePod({ restartPolicy: "Never", initContainers: [{ name: "i", image: "x" }], containers: [{ name: "a", image: "x" }] });
    expect(ok(pod).config.containers?.map((c) => c.restart?.policy)).toEqual(["no", "no"]);
  });

  it("a sidecar in a pod that completes is reported", () => {
    const pod = makePod({ restartPolicy: "OnFailure", initContainers: [{ name: "s", image: "x", restartPolicy: "Always" }], containers: [{ name: "a", image: "x" }] });
    expect(ok(pod).unsupported).toEqual(["spec.initContainers[0].restartPolicy: a sidecar keeps running after the app containers exit, so the Machine does not complete"]);
  });

  it("user needs runAsUser; the container overrides the pod", () => {
    const pod = makePod({
      securityContext: { runAsUser: 1000, runAsGroup: 3000 },
      containers: [{ name: "a", image: "x" }, { name: "b", image: "x", securityContext: { runAsUser: 0 } }],
    });
    expect(ok(pod).config.containers?.map((c) => c.user)).toEqual(["1000:3000", "0:3000"]);
    const groupOnly = makePod({ containers: [{ name: "a", image: "x", securityContext: { runAsGroup: 5 } }, { name: "b", image: "x" }] });
    expect(ok(groupOnly).unsupported).toEqual(["spec.containers[0].securityContext.runAsGroup: a group needs runAsUser on a Fly Machine"]);
  });
});

describe("volumes", () => {
  const withVolumes = (volumes: unknown[], mounts: unknown[], extra: Record<string, unknown> = {}) =>
    makePod({ volumes, containers: [{ name: "app", image: "x", volumeMounts: mounts, ...extra }] });

  it("configMap items and binaryData become files with modes", () => {
    const context = contextOf({ configMaps: [cm("site", { "index.html": "<h1>hi</h1>", unused: "x" }, { "logo.png": "iVBORw0KGgo=" }) as never] });
    const pod = withVolumes(
      [{ name: "site", configMap: { name: "site", defaultMode: 0o440, items: [{ key: "index.html", path: "html/index.html" }, { key: "logo.png", path: "logo.png", mode: 0o400 }] } }],
      [{ name: "site", mountPath: "/usr/share/nginx/" }],
    );
    expect(ok(pod, context).config.files).toEqual([
      { guest_path: "/usr/share/nginx/html/index.html", mode: 0o440, raw_value: Buffer.from("<h1>hi</h1>").toString("base64") },
      { guest_path: "/usr/share/nginx/logo.png", mode: 0o400, raw_value: "iVBORw0KGgo=" },
    ]);
  });

  it("a secret volume without items writes every key, sorted, dot-files included, from the base64 Fly secret", () => {
    const context = contextOf({ secrets: [secret("tls", { "tls.key": "a2V5", "tls.crt": "Y3J0", ".htpasswd": "eA==" }) as never], secretsVersion: 4 });
    const pod = withVolumes([{ name: "tls", secret: { secretName: "tls", defaultMode: 0o400 } }], [{ name: "tls", mountPath: "/tls" }]);
    const r = ok(pod, context);
    expect(r.config.files).toEqual([
      { guest_path: "/tls/.htpasswd", mode: 0o400, secret_name: "MLB_default__tls___2Ehtpasswd" },
      { guest_path: "/tls/tls.crt", mode: 0o400, secret_name: "MLB_default__tls__tls_2Ecrt" },
      { guest_path: "/tls/tls.key", mode: 0o400, secret_name: "MLB_default__tls__tls_2Ekey" },
    ]);
    expect(r.minSecretsVersion).toBe(4);
  });

  it("optional missing sources write nothing; required ones wait as a mount failure, naming the key", () => {
    const context = contextOf({ secrets: [secret("tls", { a: "YQ==" }) as never] });
    const mount = [{ name: "c", mountPath: "/c" }];
    expect(ok(withVolumes([{ name: "c", configMap: { name: "gone", optional: true } }], mount), context).config.files).toBeUndefined();
    expect(ok(withVolumes([{ name: "c", secret: { secretName: "tls", optional: true, items: [{ key: "b", path: "b" }] } }], mount), context).config.files).toBeUndefined();
    expect(waitingOf(withVolumes([{ name: "c", configMap: { name: "gone" } }], mount), context)).toEqual([
      { reason: "ContainerCreating", message: 'MountVolume.SetUp failed for volume "c" : configmap "gone" not found' },
    ]);
    expect(waitingOf(withVolumes([{ name: "c", secret: { secretName: "tls", items: [{ key: "b", path: "b" }] } }], mount), context)).toEqual([
      { reason: "ContainerCreating", message: 'MountVolume.SetUp failed for volume "c" : references non-existent secret key: b' },
    ]);
  });

  it("a claim waits for its Fly Volume, and for the pod's region; the Machine lands in the Volume's region", () => {
    const claim = { metadata: { name: "data", namespace: "default", uid: "c1", resourceVersion: "1" }, spec: {} };
    const pod = (annotations?: Record<string, string>) => {
      const p = withVolumes([{ name: "d", persistentVolumeClaim: { claimName: "data" } }], [{ name: "d", mountPath: "/var/lib/data" }]);
      return annotations ? { ...p, metadata: { ...p.metadata, annotations } } : p;
    };
    expect(waitingOf(pod(), contextOf({}))).toEqual([{ reason: "ContainerCreating", message: 'waiting for PersistentVolumeClaim "data" to be bound to a Fly Volume' }]);
    const bound = contextOf({ claims: [claim as never], volumeRegion: "ams" });
    const r = ok(pod(), bound);
    expect(r.region).toBe("ams");
    expect(r.config.mounts).toEqual([{ volume: "vol_data", path: "/var/lib/data", name: "data" }]);
    expect(waitingOf(pod({ "fly.io/region": "ord" }), bound)).toEqual([
      { reason: "ContainerCreating", message: 'Fly Volume vol_data of PersistentVolumeClaim "data" is in region ams, not ord as the pod asks; a Volume does not move' },
    ]);
  });

  it("a subPath naming no file is reported", () => {
    const context = contextOf({ configMaps: [cm("conf", { a: "1" }) as never] });
    const r = ok(withVolumes([{ name: "conf", configMap: { name: "conf" } }], [{ name: "conf", mountPath: "/etc/b.conf", subPath: "b" }]), context);
    expect(r.unsupported).toEqual(['spec.containers[0].volumeMounts[0].subPath: volume "conf" has no file "b"']);
  });

  it("projected volumes combine their sources", () => {
    const context = contextOf({ configMaps: [cm("ca", { "ca.crt": "PEM" }) as never] });
    const pod = withVolumes(
      [{ name: "bundle", projected: { sources: [{ configMap: { name: "ca" } }, { downwardAPI: { items: [{ path: "ns", fieldRef: { fieldPath: "metadata.namespace" } }] } }, { serviceAccountToken: { path: "token" } }] } }],
      [{ name: "bundle", mountPath: "/var/run/bundle" }],
    );
    const r = ok(pod, context);
    expect(r.config.files?.map((f) => f.guest_path)).toEqual(["/var/run/bundle/ca.crt", "/var/run/bundle/ns"]);
    expect(r.unsupported).toEqual(["spec.volumes[0].projected.sources[2].serviceAccountToken: this projection is not available on Fly Machines"]);
  });

  it("memory emptyDir is a memory temp dir (sizeLimit only bounds disk ones); containers of the pod share it", () => {
    const pod = withVolumes([{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } }], [{ name: "shm", mountPath: "/dev/shm" }]);
    const r = ok(pod);
    expect(r.config.volumes).toEqual([{ name: "shm", temp_dir: { storage_type: "memory" } }]);
    expect(r.warnings).toEqual(["spec.volumes[0].emptyDir.sizeLimit: a memory temp dir is bounded by the Machine's memory, not by sizeLimit"]);
    const shared = makePod({
      volumes: [{ name: "work", emptyDir: { sizeLimit: "1500Mi" } }],
      containers: [
        { name: "a", image: "x", volumeMounts: [{ name: "work", mountPath: "/work" }] },
        { name: "b", image: "y", volumeMounts: [{ name: "work", mountPath: "/in" }] },
      ],
    });
    const s = ok(shared);
    expect(s.config.volumes).toEqual([{ name: "work", temp_dir: { storage_type: "disk", size_mb: 1500 } }]);
    expect(s.config.containers?.map((c) => c.mounts)).toEqual([[{ name: "work", path: "/work" }], [{ name: "work", path: "/in" }]]);
  });

  it("a mount of a volume that does not exist is an error", () => {
    expect(errorsOf(withVolumes([], [{ name: "ghost", mountPath: "/g" }]))).toEqual(['spec.containers[0].volumeMounts[0].name: no volume named "ghost"']);
  });

  it("one Fly Volume per Machine", () => {
    const claims = ["a", "b"].map((n) => ({ metadata: { name: n, namespace: "default", uid: n, resourceVersion: "1" }, spec: {} }));
    const pod = withVolumes(
      [{ name: "a", persistentVolumeClaim: { claimName: "a" } }, { name: "b", persistentVolumeClaim: { claimName: "b" } }],
      [{ name: "a", mountPath: "/a" }, { name: "b", mountPath: "/b" }],
    );
    const r = ok(pod, contextOf({ claims: claims as never }));
    expect(r.config.mounts).toEqual([{ volume: "vol_a", path: "/a", name: "a" }]);
    expect(r.unsupported).toEqual(['spec.containers[0].volumeMounts[1]: a Machine mounts one Fly Volume at one path; "a" is already mounted at /a']);
  });
});

describe("findings", () => {
  it("an untranslatable pod still lists what else was wrong", () => {
    const r = podToMachineConfig(oneContainer({ workingDir: "/srv", resources: { limits: { cpu: 64 } } }), ctx);
    expect(r).toEqual({
      ok: false,
      errors: [expect.stringContaining("more than the largest performance Fly guest")],
      waiting: [],
      unsupported: ["spec.containers[0].workingDir: Fly runs the image's working directory"],
      warnings: [],
    });
  });

  it("hardening that is not enforced is warned, not reported unsupported", () => {
    const pod = oneContainer({ securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } });
    const r = ok(pod);
    expect(r.unsupported).toEqual([]);
    expect(r.warnings).toHaveLength(3);
  });

  it("a Windows pod cannot run", () => {
    expect(errorsOf(oneContainer({}, { os: { name: "windows" } }))).toEqual(["spec.os.name: Fly Machines run Linux"]);
  });
});

describe("hostile sizes", () => {
  it("refuses references that multiply a value instead of building it", () => {
    const env = [{ name: "A", value: "x".repeat(1024) }, ...Array.from({ length: 30 }, (_, i) => ({ name: `V${i + 1}`, value: `$(${i === 0 ? "A" : `V${i}`})$(${i === 0 ? "A" : `V${i}`})` }))];
    const errors = errorsOf(oneContainer({ env }));
    expect(errors[0]).toMatch(/^spec\.containers\[0\]\.env\[\d+\]\.value: (expands to more than 131072 characters|references expand to more than 131072 added characters)/);
  });
});
