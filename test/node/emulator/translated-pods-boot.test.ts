// Translation and emulator together: what a pod's Machine actually sees at boot, and only that.
import { describe, expect, it } from "vitest";
import type { Secret } from "../../../src/shared/k8s";
import { podToMachineConfig } from "../../../src/worker/translate/pod-to-machine-config";
import { secretToFlySecretValues } from "../../../src/worker/translate/secret-to-fly-secrets";
import { loadApplied, podOfWorkload } from "../../fixtures/manifests/load";
import { contextOf } from "../translate/resolvers";
import { makePod } from "../translate/pods";
import { APP, useEmulator } from "./harness";

const h = useEmulator();
const b64 = (s: string) => Buffer.from(s).toString("base64");
const secretOf = (namespace: string, name: string, data: Record<string, string>): Secret => ({
  metadata: { namespace, name, uid: `${namespace}-${name}`, resourceVersion: "1" },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

/** Writes the Secrets to Fly as the worker does (one bulk write) and boots the pod's Machine from its translation. */
async function bootPod(pod: ReturnType<typeof makePod>, secrets: Secret[], objects: Parameters<typeof contextOf>[0] = {}) {
  const values = Object.assign({}, ...secrets.map((s) => secretToFlySecretValues(s)));
  const version = (await h.fly("POST", `/v1/apps/${APP}/secrets`, { body: { values } })).body.version as number;
  const t = podToMachineConfig(pod, contextOf({ ...objects, secrets, secretsVersion: version }));
  if (!t.ok) throw new Error(JSON.stringify(t));
  const created = await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: t.config, name: t.name, region: t.region, min_secrets_version: t.minSecretsVersion } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return (await h.control("GET", `/_emulator/apps/${APP}/machines/${created.body.id}/boot`)).body;
}

describe("a pod's Machine sees exactly the secrets it references", () => {
  it("not another namespace's Secret of the same name, nor an unreferenced Secret of its own namespace", async () => {
    const mine = secretOf("team-a", "db", { password: "canary-a-1d8f", user: "canary-a-user-77c0" });
    const theirs = secretOf("team-b", "db", { password: "canary-b-90e2" });
    const unreferenced = secretOf("team-a", "other", { token: "canary-a-other-4b1a" });
    const pod = makePod(
      {
        volumes: [{ name: "creds", secret: { secretName: "db", items: [{ key: "password", path: ".pgpass", mode: 0o600 }] } }],
        containers: [{ name: "app", image: "x", env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }], volumeMounts: [{ name: "creds", mountPath: "/run/creds" }] }],
      },
      { namespace: "team-a" },
    );
    const view = await bootPod(pod, [mine, theirs, unreferenced]);
    expect(view.env.DB_PASSWORD).toBe("canary-a-1d8f");
    expect(view.files).toEqual([{ path: "/run/creds/.pgpass", mode: 0o600, content_base64: b64("canary-a-1d8f") }]);
    const seen = JSON.stringify(view);
    for (const other of ["canary-b-90e2", "canary-a-other-4b1a", "canary-a-user-77c0", b64("canary-b-90e2")]) expect(seen).not.toContain(other);
  });

  it("envFrom with a prefix and per-container secrets in a two-container pod", async () => {
    const s = secretOf("default", "api", { KEY: "k-1", REGION: "eu" });
    const pod = makePod({
      containers: [
        { name: "app", image: "x", envFrom: [{ secretRef: { name: "api" }, prefix: "API_" }] },
        { name: "proxy", image: "y", env: [{ name: "UPSTREAM_KEY", valueFrom: { secretKeyRef: { name: "api", key: "KEY" } } }] },
      ],
    });
    const view = await bootPod(pod, [s]);
    expect(view.containers.app.env).toMatchObject({ API_KEY: "k-1", API_REGION: "eu" });
    expect(view.containers.proxy.env.UPSTREAM_KEY).toBe("k-1");
    expect(view.containers.proxy.env.API_REGION).toBeUndefined();
  });

  it("the WordPress tier gets its literal env, its password and its claim's volume", async () => {
    const file = "apply/wordpress-mysql.yaml";
    const secret = loadApplied(file, "Secret", "mysql-pass");
    const volume = (await h.fly("POST", `/v1/apps/${APP}/volumes`, { body: { name: "wp_pv_claim", region: "ord", size_gb: 20 } })).body;
    const claims = [loadApplied(file, "PersistentVolumeClaim", "wp-pv-claim")];
    const pod = podOfWorkload(file, "Deployment", "wordpress");
    const values = secretToFlySecretValues(secret);
    const version = (await h.fly("POST", `/v1/apps/${APP}/secrets`, { body: { values } })).body.version as number;
    const ctx = { ...contextOf({ secrets: [secret], claims, secretsVersion: version }), volume: () => ({ id: volume.id, region: "ord" }) };
    const t = podToMachineConfig(pod, ctx);
    if (!t.ok) throw new Error(JSON.stringify(t));
    const m = (await h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: t.config, region: t.region, min_secrets_version: t.minSecretsVersion } })).body;
    const view = (await h.control("GET", `/_emulator/apps/${APP}/machines/${m.id}/boot`)).body;
    expect(view.env).toMatchObject({ WORDPRESS_DB_HOST: "wordpress-mysql", WORDPRESS_DB_USER: "wordpress", WORDPRESS_DB_NAME: "wordpress", WORDPRESS_DB_PASSWORD: "YOUR_PASSWORD" });
    expect(view.mounts).toEqual([{ path: "/var/www/html", volume_id: volume.id, size_gb: 20 }]);
    expect(Object.keys(view.env).filter((k) => !k.startsWith("FLY_")).sort()).toEqual(["WORDPRESS_DB_HOST", "WORDPRESS_DB_NAME", "WORDPRESS_DB_PASSWORD", "WORDPRESS_DB_USER"]);
  });
});
