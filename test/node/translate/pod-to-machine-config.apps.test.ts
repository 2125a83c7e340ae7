// podToMachineConfig on public application manifests that use Secrets, ConfigMaps and claims.
import { describe, expect, it } from "vitest";
import type { Pod } from "../../../src/shared/k8s";
import { podToMachineConfig, type PodTranslation } from "../../../src/worker/translate/pod-to-machine-config";
import { claimsOfStatefulSet, loadApplied, podOfWorkload } from "../../fixtures/manifests/load";
import { appSecretNames, contextOf } from "./resolvers";

type Ok = Extract<PodTranslation, { ok: true }>;
function translated(pod: Pod, context: Parameters<typeof podToMachineConfig>[1]): Ok {
  const r = podToMachineConfig(pod, context);
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r;
}

describe("WordPress and MySQL (two tiers, one Secret, two claims)", () => {
  const file = "apply/wordpress-mysql.yaml";
  const secret = loadApplied(file, "Secret", "mysql-pass");
  const claims = [loadApplied(file, "PersistentVolumeClaim", "mysql-pv-claim"), loadApplied(file, "PersistentVolumeClaim", "wp-pv-claim")];
  const context = contextOf({ secrets: [secret], claims, secretsVersion: 12 });
  const password = appSecretNames("default", "mysql-pass", "password").env;

  it.each([
    ["wordpress-mysql", { MYSQL_DATABASE: "wordpress", MYSQL_USER: "wordpress" }, ["MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD"], "/var/lib/mysql", "vol_mysqlpvclaim"],
    ["wordpress", { WORDPRESS_DB_HOST: "wordpress-mysql", WORDPRESS_DB_USER: "wordpress", WORDPRESS_DB_NAME: "wordpress" }, ["WORDPRESS_DB_PASSWORD"], "/var/www/html", "vol_wppvclaim"],
  ])("%s: literal env, the password from its Fly secret only, its claim's volume", (name, env, secretVars, path, volume) => {
    const r = translated(podOfWorkload(file, "Deployment", name), context);
    expect(r.config.containers).toBeUndefined();
    expect(r.config.env).toEqual(env);
    expect(r.config.processes).toEqual([{ ignore_app_secrets: true, secrets: secretVars.map((v) => ({ env_var: v, name: password })) }]);
    expect(r.config.mounts).toEqual([{ volume, path, name: volume === "vol_mysqlpvclaim" ? "mysql-pv-claim" : "wp-pv-claim" }]);
    expect(r.region).toBe("ord");
    expect(r.minSecretsVersion).toBe(12);
    expect([...r.unsupported, ...r.warnings]).toEqual([]);
  });

  it("the database tier waits for mysql-pass like the kubelet, then starts by itself once it is there", () => {
    const pod = podOfWorkload(file, "Deployment", "wordpress-mysql");
    const waiting = podToMachineConfig(pod, contextOf({ claims }));
    expect(waiting).toMatchObject({ ok: false, errors: [], waiting: [{ reason: "CreateContainerConfigError", message: 'secret "mysql-pass" not found' }] });
    expect(podToMachineConfig(pod, context).ok).toBe(true);
  });

  it("waits, saying why, while the worker holds mysql-pass without its data (too large for it)", () => {
    const pod = podOfWorkload(file, "Deployment", "wordpress-mysql");
    const why = 'data.password: the object is larger than 524288 bytes';
    const held = { ...context, oversized: (kind: string, ns: string, name: string) => (kind === "Secret" && ns === "default" && name === "mysql-pass" ? why : undefined) };
    expect(podToMachineConfig(pod, held)).toMatchObject({ ok: false, errors: [], waiting: [{ reason: "CreateContainerConfigError", message: `Secret "mysql-pass" is too large for machinelet (${why})` }] });
  });
});

describe("StatefulSet web (volumeClaimTemplates)", () => {
  const file = "apply/statefulset-web.yaml";

  it.each([0, 1])("web-%i mounts its own claim www-web-<ordinal> and keeps its hostname", (ordinal) => {
    const pod = podOfWorkload(file, "StatefulSet", "web", ordinal);
    const r = translated(pod, contextOf({ claims: claimsOfStatefulSet(file, "web", ordinal), volumeRegion: "fra" }));
    expect(r.config.mounts).toEqual([{ volume: `vol_wwwweb${ordinal}`, path: "/usr/share/nginx/html", name: `www-web-${ordinal}` }]);
    expect(r.config.dns?.hostname).toBe(`web-${ordinal}`);
    expect(r.region).toBe("fra");
    expect(r.config.processes).toEqual([{ ignore_app_secrets: true }]);
  });

  it("waits while its claim is being deleted (held by a finalizer), as the kubelet does", () => {
    const [claim] = claimsOfStatefulSet(file, "web", 0);
    const deleting = { ...claim!, metadata: { ...claim!.metadata, deletionTimestamp: "2026-12-02T01:00:00Z", finalizers: ["kubernetes.io/pvc-protection"] } };
    const r = podToMachineConfig(podOfWorkload(file, "StatefulSet", "web", 0), contextOf({ claims: [deleting] }));
    expect(r).toMatchObject({ ok: false, errors: [], waiting: [{ reason: "ContainerCreating", message: 'PersistentVolumeClaim "www-web-0" is being deleted: a new Machine does not mount it' }] });
  });

  it("waits while its claim has no Fly Volume", () => {
    const r = podToMachineConfig(podOfWorkload(file, "StatefulSet", "web", 1), contextOf({ claims: claimsOfStatefulSet(file, "web", 0) }));
    expect(r).toMatchObject({ ok: false, errors: [], waiting: [{ reason: "ContainerCreating", message: 'waiting for PersistentVolumeClaim "www-web-1" to be bound to a Fly Volume' }] });
  });
});

describe("secret-dotfiles-pod (a dot-file in a secret volume)", () => {
  const file = "apply/secret-dotfiles-pod.yaml";

  it("writes the hidden file from the key's base64 Fly secret, read-only mode default 0644", () => {
    const r = translated(loadApplied(file, "Pod", "secret-dotfiles-pod"), contextOf({ secrets: [loadApplied(file, "Secret", "dotfile-secret")] }));
    expect(r.config.files).toEqual([{ guest_path: "/etc/secret-volume/.secret-file", mode: 0o644, secret_name: appSecretNames("default", "dotfile-secret", ".secret-file").file }]);
    expect(r.config.init).toEqual({ entrypoint: ["ls", "-l", "/etc/secret-volume"] });
    expect(r.config.processes).toEqual([{ ignore_app_secrets: true }]);
  });
});
