import { badRequest, failedPrecondition } from "./errors";
import { BASE64, type MachineConfig } from "./machine-config";
import type { AppRecord } from "./model";

/** Every place a machine config names an app secret, with the field path a 400 should name. */
function secretReferences(config: MachineConfig): { field: string; name: string; file: boolean }[] {
  const refs: { field: string; name: string; file: boolean }[] = [];
  const fromList = (list: { env_var: string; name?: string }[] | undefined, at: string) =>
    list?.forEach((s, i) => refs.push({ field: `${at}.secrets[${i}].name`, name: s.name ?? s.env_var, file: false }));
  const fromFiles = (files: MachineConfig["files"], at: string) =>
    files?.forEach((f, i) => f.secret_name !== undefined && refs.push({ field: `${at}.files[${i}].secret_name`, name: f.secret_name, file: true }));
  config.processes?.forEach((p, i) => fromList(p.secrets, `config.processes[${i}]`));
  fromFiles(config.files, "config");
  config.containers?.forEach((c, i) => {
    fromList(c.secrets, `config.containers[${i}]`);
    fromFiles(c.files, `config.containers[${i}]`);
  });
  return refs;
}

/**
 * The app secrets a machine launched (created or updated) now gets: a copy of the app's secrets,
 * which it keeps until its next update (D `machines/api/apps-resource`: "Existing Machines must be
 * updated"). Checks first, as Fly would (assumed where undocumented, see README):
 * `min_secrets_version` above the app's version is 412; a named secret that does not exist is 400;
 * a `secret_name` file whose secret is not base64 is 400 (S `fly.File`: the secret "contains the
 * base64 encoded file contents").
 */
export function secretsForLaunch(app: AppRecord, config: MachineConfig, minVersion: number | undefined): Map<string, string> {
  if (minVersion !== undefined && minVersion > app.secretsVersion) {
    throw failedPrecondition(`app secrets version ${minVersion} is not available yet (the app is at version ${app.secretsVersion})`);
  }
  for (const ref of secretReferences(config)) {
    const secret = app.secrets.get(ref.name);
    if (!secret) throw badRequest(`invalid ${ref.field}: app secret ${JSON.stringify(ref.name)} not found`);
    if (ref.file && !BASE64.test(secret.value)) throw badRequest(`invalid ${ref.field}: app secret ${JSON.stringify(ref.name)} does not hold base64-encoded file contents`);
  }
  return new Map([...app.secrets.values()].map((s) => [s.name, s.value]));
}
