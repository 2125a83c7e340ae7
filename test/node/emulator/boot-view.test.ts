// What a machine sees at boot: secrets narrowed per process and container, files, mounts, versions.
import { describe, expect, it } from "vitest";
import { APP, IMAGE, machinePath, useEmulator } from "./harness";

const h = useEmulator();
const SECRETS = `/v1/apps/${APP}/secrets`;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const boot = async (id: string) => {
  const res = await h.control("GET", `/_emulator/apps/${APP}/machines/${id}/boot`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const setSecrets = async (values: Record<string, string | null>) => (await h.fly("POST", SECRETS, { body: { values } })).body.version as number;
const create = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  h.fly("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: IMAGE, ...config }, ...extra } });

describe("boot view", () => {
  it("gives every app secret to a machine that does not ignore them, with Fly's runtime variables and its env", async () => {
    await setSecrets({ A: "1", B: "2" });
    const m = (await create({ env: { MODE: "x" } })).body;
    const view = await boot(m.id);
    expect(view.env).toMatchObject({ A: "1", B: "2", MODE: "x", FLY_APP_NAME: APP, FLY_MACHINE_ID: m.id, FLY_REGION: m.region, FLY_PRIVATE_IP: m.private_ip });
    expect(view).toMatchObject({ files: [], mounts: [], dns: {}, containers: {} });
  });

  it("ignore_app_secrets: only the listed secrets, under their env_var", async () => {
    await setSecrets({ A: "1", B: "2" });
    const m = (await create({ processes: [{ ignore_app_secrets: true, secrets: [{ env_var: "ALPHA", name: "A" }, { env_var: "B" }], env_from: [{ env_var: "IP", field_ref: "private_ip" }] }] })).body;
    const { env } = await boot(m.id);
    expect(env).toMatchObject({ ALPHA: "1", B: "2", IP: m.private_ip });
    expect(env.A).toBeUndefined();
  });

  it("per-container secrets and files; the machine-level process decides whether app secrets reach containers", async () => {
    await setSecrets({ PW: "hunter2", OTHER: "no", CERT: b64("PEM") });
    const m = (
      await create({
        processes: [{ ignore_app_secrets: true }],
        containers: [
          { name: "app", image: IMAGE, secrets: [{ env_var: "DB_PASSWORD", name: "PW" }], files: [{ guest_path: "/etc/tls/tls.crt", secret_name: "CERT", mode: 0o400 }] },
          { name: "side", image: IMAGE, env: { X: "y" }, files: [{ guest_path: "/etc/.hidden", raw_value: b64("dot") }] },
        ],
      })
    ).body;
    const view = await boot(m.id);
    expect(view.containers.app.env.DB_PASSWORD).toBe("hunter2");
    expect(view.containers.app.env.OTHER).toBeUndefined();
    expect(view.containers.app.files).toEqual([{ path: "/etc/tls/tls.crt", mode: 0o400, content_base64: b64("PEM") }]);
    expect(view.containers.side.env).toMatchObject({ X: "y" });
    expect(view.containers.side.env.DB_PASSWORD).toBeUndefined();
    expect(view.containers.side.files).toEqual([{ path: "/etc/.hidden", mode: 0o644, content_base64: b64("dot") }]);
  });

  it("a machine keeps the secret values of its last launch until it is updated", async () => {
    await setSecrets({ A: "old" });
    const config = { processes: [{ ignore_app_secrets: true, secrets: [{ env_var: "A" }] }] };
    const m = (await create(config, { skip_launch: true })).body;
    const v2 = await setSecrets({ A: "new", LATER: "x" });
    expect((await boot(m.id)).env.A).toBe("old");
    expect((await h.fly("POST", machinePath(m.id), { body: { config: { image: IMAGE, ...config }, min_secrets_version: v2, skip_launch: true } })).status).toBe(200);
    expect((await boot(m.id)).env.A).toBe("new");
  });

  it("shows the mounted volume with its size and the dns config", async () => {
    const v = (await h.fly("POST", `/v1/apps/${APP}/volumes`, { body: { name: "data", region: "ord", size_gb: 2 } })).body;
    const m = (await create({ mounts: [{ volume: v.id, path: "/data" }], dns: { hostname: "web-0" } }, { region: "ord" })).body;
    expect(await boot(m.id)).toMatchObject({ mounts: [{ path: "/data", volume_id: v.id, size_gb: 2 }], dns: { hostname: "web-0" } });
  });

  it("never lists secret values in the raw machine dump", async () => {
    await setSecrets({ CANARY: "canary-5f1e" });
    await create({});
    expect(JSON.stringify((await h.control("GET", `/_emulator/apps/${APP}/machines`)).body)).not.toContain("canary-5f1e");
  });
});

describe("secret references at create and update", () => {
  it("refuses a min_secrets_version the app does not have yet (412) and accepts the current one", async () => {
    const version = await setSecrets({ A: "1" });
    const ahead = await create({}, { min_secrets_version: version + 1 });
    expect(ahead.status).toBe(412);
    expect(ahead.body.error).toBe(`failed_precondition: app secrets version ${version + 1} is not available yet (the app is at version ${version})`);
    expect((await create({}, { min_secrets_version: version })).status).toBe(200);
  });

  it("refuses secrets and secret files that do not exist, or do not hold base64", async () => {
    await setSecrets({ PLAIN: "not base64!" });
    const missing = await create({ processes: [{ ignore_app_secrets: true, secrets: [{ env_var: "X", name: "NOPE" }] }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid config.processes[0].secrets[0].name: app secret "NOPE" not found');
    const file = await create({ files: [{ guest_path: "/f", secret_name: "PLAIN" }] });
    expect(file.body.error).toBe('invalid config.files[0].secret_name: app secret "PLAIN" does not hold base64-encoded file contents');
    const container = await create({ containers: [{ name: "a", image: IMAGE, secrets: [{ env_var: "Y", name: "GONE" }] }] });
    expect(container.body.error).toBe('invalid config.containers[0].secrets[0].name: app secret "GONE" not found');
  });

  it("validates raw_value, env_var names, and container mounts of temp dirs", async () => {
    expect((await create({ files: [{ guest_path: "/f", raw_value: "%%%" }] })).body.error).toBe("invalid config.files[0].raw_value: must be base64-encoded");
    expect((await create({ processes: [{ secrets: [{ env_var: "1X" }] }] })).body.error).toBe("invalid config.processes[0].secrets[0].env_var: must be a valid environment variable name");
    const orphanMount = await create({ containers: [{ name: "a", image: IMAGE, mounts: [{ name: "scratch", path: "/s" }] }] });
    expect(orphanMount.body.error).toBe('invalid config.containers[0].mounts[0].name: no volume named "scratch" in config.volumes');
    const shared = await create({ volumes: [{ name: "scratch", temp_dir: { storage_type: "memory" } }], containers: [{ name: "a", image: IMAGE, mounts: [{ name: "scratch", path: "/s" }] }] });
    expect(shared.status).toBe(200);
  });
});
