import type { Context } from "hono";
import { z } from "zod";
import { parseOr400, readJsonBody } from "../body";
import { failedPrecondition, notFound } from "../errors";
import { honoPath, pathParam, type FlyApp, type FlyEnv } from "../hono-env";
import { transition } from "../machine-events";
import type { MachineRecord } from "../model";
import type { EmulatorState } from "../state";

const METADATA = "/v1/apps/{app_name}/machines/{machine_id}/metadata";

const patchSchema = z.looseObject({
  metadata: z.record(z.string(), z.string().nullable(), { error: "required: an object of string values" }),
  machine_version: z.string().optional(),
  updated_at: z.string().optional(),
});
const upsertSchema = z.looseObject({ value: z.string({ error: "required: a string" }), updated_at: z.string().optional() });

/**
 * Metadata lives in `config.metadata` and is written in place: no new version, no restart, and
 * leases do not guard it.
 */
function writeMetadata(st: EmulatorState, m: MachineRecord, edit: (metadata: Record<string, string>) => void): void {
  const metadata = { ...m.config.metadata };
  edit(metadata);
  m.config = { ...m.config, metadata };
  const current = m.versions.at(-1);
  if (current) current.config = m.config;
  transition(st, m, m.state);
}

export function metadataRoutes(app: FlyApp, st: EmulatorState): void {
  app.get(honoPath(METADATA), (c) => c.json(st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id")).config.metadata ?? {}));

  const patch = async (c: Context<FlyEnv>) => {
    const m = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    const body = parseOr400(patchSchema, (await readJsonBody(c)) ?? {});
    if (body.machine_version !== undefined && body.machine_version !== m.version) {
      throw failedPrecondition(`machine version mismatch: machine is at ${m.version}, not ${body.machine_version}`);
    }
    writeMetadata(st, m, (metadata) => {
      for (const [k, v] of Object.entries(body.metadata)) {
        if (v === null || v === "") delete metadata[k];
        else metadata[k] = v;
      }
    });
    return c.body(null, 204);
  };
  app.patch(honoPath(METADATA), patch);
  // PUT is the deprecated alias of PATCH.
  app.put(honoPath(METADATA), patch);

  app.get(honoPath(`${METADATA}/{key}`), (c) => {
    const value = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id")).config.metadata?.[pathParam(c, "key")];
    if (value === undefined) throw notFound("metadata key");
    return c.json({ value });
  });

  app.post(honoPath(`${METADATA}/{key}`), async (c) => {
    const m = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    const body = parseOr400(upsertSchema, (await readJsonBody(c)) ?? {});
    writeMetadata(st, m, (metadata) => {
      metadata[pathParam(c, "key")] = body.value;
    });
    return c.body(null, 204);
  });

  app.delete(honoPath(`${METADATA}/{key}`), (c) => {
    const m = st.liveMachine(pathParam(c, "app_name"), pathParam(c, "machine_id"));
    writeMetadata(st, m, (metadata) => {
      delete metadata[pathParam(c, "key")];
    });
    return c.body(null, 204);
  });
}
