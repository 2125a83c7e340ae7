import { z } from "zod";
import { parseOr400, queryBool, readJsonBody } from "../body";
import { rfc3339 } from "../clock";
import { notFound } from "../errors";
import { honoPath, pathParam, type FlyApp } from "../hono-env";
import { digestOf } from "../ids";
import type { AppRecord, SecretRecord } from "../model";
import type { EmulatorState } from "../state";

const SECRETS = "/v1/apps/{app_name}/secrets";
const secretName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be letters, digits and underscores, not starting with a digit");
const bulkSchema = z.looseObject({ values: z.record(secretName, z.string().nullable(), { error: "required: an object of name -> value (null unsets)" }) });
const setSchema = z.looseObject({ value: z.string({ error: "required: a string" }) });

/** Values only with `show_secrets=true`; the digest always. */
function secretView(s: SecretRecord, showValue: boolean) {
  return {
    name: s.name,
    digest: digestOf(s.value).slice(0, 16),
    created_at: rfc3339(s.createdAt),
    updated_at: rfc3339(s.updatedAt),
    ...(showValue ? { value: s.value } : {}),
  };
}

function setSecret(st: EmulatorState, app: AppRecord, name: string, value: string): SecretRecord {
  const now = st.now();
  const existing = app.secrets.get(name);
  const secret = { name, value, createdAt: existing?.createdAt ?? now, updatedAt: now };
  app.secrets.set(name, secret);
  return secret;
}

/** Every write bumps the app's secrets version (also answered as the deprecated `Version`). */
function bump(app: AppRecord) {
  app.secretsVersion += 1;
  return { version: app.secretsVersion, Version: app.secretsVersion };
}

const sorted = (app: AppRecord) => [...app.secrets.values()].sort((a, b) => a.name.localeCompare(b.name));

export function secretRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath(SECRETS), (c) => {
    const show = queryBool(c, "show_secrets");
    return c.json({ secrets: sorted(st.app(pathParam(c, "app_name"))).map((s) => secretView(s, show)) });
  });

  app.post(honoPath(SECRETS), async (c) => {
    const target = st.app(pathParam(c, "app_name"));
    const body = parseOr400(bulkSchema, (await readJsonBody(c)) ?? {});
    for (const [name, value] of Object.entries(body.values)) {
      if (value === null) target.secrets.delete(name);
      else setSecret(st, target, name, value);
    }
    return c.json({ secrets: sorted(target).map((s) => secretView(s, false)), ...bump(target) });
  });

  app.get(honoPath(`${SECRETS}/{secret_name}`), (c) => {
    const secret = st.app(pathParam(c, "app_name")).secrets.get(pathParam(c, "secret_name"));
    if (!secret) throw notFound("secret");
    return c.json(secretView(secret, queryBool(c, "show_secrets")));
  });

  app.post(honoPath(`${SECRETS}/{secret_name}`), async (c) => {
    const target = st.app(pathParam(c, "app_name"));
    const name = parseOr400(secretName, pathParam(c, "secret_name"), "secret_name");
    const body = parseOr400(setSchema, (await readJsonBody(c)) ?? {});
    const secret = setSecret(st, target, name, body.value);
    return c.json({ ...secretView(secret, false), ...bump(target) }, 201);
  });

  app.delete(honoPath(`${SECRETS}/{secret_name}`), (c) => {
    const target = st.app(pathParam(c, "app_name"));
    if (!target.secrets.delete(pathParam(c, "secret_name"))) throw notFound("secret");
    return c.json(bump(target));
  });
}
