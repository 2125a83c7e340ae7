import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/**
 * Checks Machines API responses against the Fly OpenAPI spec, so an emulator (or a fixture) cannot
 * drift from Fly's shapes. Object schemas that list their properties are closed: a field Fly does
 * not send fails too. Where the live API differs from the spec, the documented wire corrections of
 * reference/machines-api.md apply (see WIRE_CORRECTIONS).
 */

type Schema = Record<string, unknown>;

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const SPEC_PATH = path.resolve(REPO_ROOT, "../shared/specs/fly-machines-openapi.json");
const REF_PREFIX = "#/components/schemas/";
const DOC_ID = "fly-machines";

const okResponse: Schema = { type: "object", required: ["ok"], properties: { ok: { type: "boolean" } } };

/**
 * Wire corrections (machines-api.md §3–§6): schemas the spec lacks, and which operations answer
 * with them instead of what the spec declares.
 */
const WIRE_SCHEMAS: Record<string, Schema> = {
  // §4: lease responses are enveloped.
  LeaseEnvelope: { type: "object", required: ["status", "data"], properties: { status: { enum: ["success"] }, data: { $ref: `${REF_PREFIX}Lease` } } },
  LeaseReleased: { type: "object", required: ["status", "data"], properties: { status: { enum: ["success"] }, data: okResponse } },
  // §5 (D-ex): start answers {previous_state, migrated, new_host}; stop and the other actions {"ok": true}.
  StartResponse: { type: "object", required: ["previous_state"], properties: { previous_state: { type: "string" }, migrated: { type: "boolean" }, new_host: { type: "string" } } },
  OkResponse: okResponse,
  // §6: every error is {"error": "...", "status"?: ...}.
  ErrorBody: { allOf: [{ $ref: `${REF_PREFIX}ErrorResponse` }, { required: ["error"] }] },
};

const SUCCESS_OVERRIDES: Record<string, string> = {
  Machines_show_lease: "LeaseEnvelope",
  Machines_create_lease: "LeaseEnvelope",
  Machines_release_lease: "LeaseReleased",
  Machines_start: "StartResponse",
  Machines_stop: "OkResponse",
  Machines_restart: "OkResponse",
  Machines_suspend: "OkResponse",
  Machines_signal: "OkResponse",
  Machines_cordon: "OkResponse",
  Machines_uncordon: "OkResponse",
  Machines_delete: "OkResponse",
};

function applyWireCorrections(schemas: Record<string, Schema>): void {
  const props = (name: string) => (schemas[name] as { properties: Record<string, Schema> }).properties;
  // §3: responses carry false/true for autostop "off"/"stop", the string for "suspend".
  props("fly.MachineService").autostop = { anyOf: [{ type: "boolean" }, { type: "string", enum: ["off", "stop", "suspend"] }] };
  // §3: fly-go's machine `volumes` (temp dirs) and container `mounts`, absent from the spec.
  props("fly.MachineConfig").volumes = {
    type: "array",
    items: {
      type: "object",
      properties: {
        name: { type: "string" },
        image: { type: "string" },
        temp_dir: { type: "object", properties: { storage_type: { enum: ["disk", "memory"] }, size_mb: { type: "integer" } } },
      },
    },
  };
  props("fly.ContainerConfig").mounts = { type: "array", items: { type: "object", properties: { name: { type: "string" }, path: { type: "string" } } } };
  // swaggo documents Go's named string types as `type: object` + `allOf: [<string enum>]` (healthcheck
  // kind/scheme/unhealthy, depends_on condition); fly-go sends and receives the plain strings.
  for (const [name, prop] of [["fly.ContainerHealthcheck", "kind"], ["fly.ContainerHealthcheck", "unhealthy"], ["fly.HTTPHealthcheck", "scheme"], ["fly.ContainerDependency", "condition"]] as const) {
    delete (props(name)[prop] as { type?: string }).type;
  }
  Object.assign(schemas, structuredClone(WIRE_SCHEMAS));
}

/** Sets `additionalProperties: false` on every object schema that lists properties and says nothing about extras. */
function closeObjects(schema: unknown): void {
  if (Array.isArray(schema)) return schema.forEach(closeObjects);
  if (!schema || typeof schema !== "object") return;
  const s = schema as Schema;
  if (s.properties && typeof s.properties === "object" && s.additionalProperties === undefined) s.additionalProperties = false;
  if (s.properties) Object.values(s.properties as Schema).forEach(closeObjects);
  for (const key of ["items", "additionalProperties", "not"] as const) closeObjects(s[key]);
  for (const key of ["allOf", "anyOf", "oneOf"] as const) closeObjects(s[key]);
}

/** Inline schemas refer to components with local refs; point them at the registered document. */
function rebaseRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebaseRefs);
  if (!schema || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [k, k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${DOC_ID}${v}` : rebaseRefs(v)]),
  );
}

interface Operation {
  operationId: string;
  method: string;
  template: string;
  pattern: RegExp;
  params: number;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface ResponseToCheck {
  method: string;
  /** Path, with or without a query string. */
  path: string;
  status: number;
  /** Parsed JSON, the text of a non-JSON body, or undefined when empty. */
  body: unknown;
}

export class SpecValidator {
  private readonly ajv: Ajv;
  private readonly operations: Operation[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(specPath = SPEC_PATH) {
    const spec = JSON.parse(readFileSync(specPath, "utf8")) as { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };
    const schemas = spec.components.schemas;
    applyWireCorrections(schemas);
    closeObjects(Object.values(schemas));
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOC_ID, components: { schemas } });
    this.operations = Object.entries(spec.paths)
      .flatMap(([template, ops]) =>
        Object.entries(ops)
          .filter(([method]) => method !== "parameters")
          .map(([method, op]) => ({
            operationId: String(op.operationId),
            method: method.toUpperCase(),
            template,
            pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
            params: (template.match(/\{/g) ?? []).length,
            responses: op.responses as Operation["responses"],
          })),
      )
      .sort((a, b) => a.params - b.params);
  }

  /** The spec operation for a request, e.g. `Machines_show` for GET /v1/apps/x/machines/y. */
  operation(method: string, urlPath: string): Operation | undefined {
    const pathname = urlPath.split("?")[0] ?? "";
    return this.operations.find((op) => op.method === method.toUpperCase() && op.pattern.test(pathname));
  }

  /** Throws, naming the operation and every mismatch, when the response is not what Fly would send. */
  assertValid(res: ResponseToCheck): void {
    const op = this.operation(res.method, res.path);
    if (!op) {
      // A path the API does not serve gets Go's mux answer.
      if (res.status === 404 && res.body === "404 page not found") return;
      throw new Error(`${res.method} ${res.path}: no such operation in the spec (answered ${res.status})`);
    }
    const where = `${op.operationId} (${res.method} ${op.template}) ${res.status}`;
    const schema = this.responseSchema(op, res.status, where);
    if (schema === undefined) {
      if (res.body !== undefined && res.body !== "") throw new Error(`${where}: the spec declares no body, got ${JSON.stringify(res.body)}`);
      return;
    }
    const validate = this.validator(`${op.operationId} ${res.status}`, schema);
    if (!validate(res.body)) {
      const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message}${e.params && "additionalProperty" in e.params ? `: ${String(e.params.additionalProperty)}` : ""}`);
      throw new Error(`${where}: body does not match the spec:\n  ${errors.join("\n  ")}\nbody: ${JSON.stringify(res.body)}`);
    }
  }

  private responseSchema(op: Operation, status: number, where: string): Schema | undefined {
    if (status >= 400) return { $ref: `${REF_PREFIX}ErrorBody` };
    const override = SUCCESS_OVERRIDES[op.operationId];
    const declared = op.responses[String(status)];
    if (!declared) throw new Error(`${where}: status ${status} is not a success status of this operation in the spec`);
    if (override) return { $ref: `${REF_PREFIX}${override}` };
    const content = declared.content ?? {};
    return (content["application/json"] ?? Object.values(content)[0])?.schema;
  }

  private validator(key: string, schema: Schema): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebaseRefs(schema) as Schema);
      this.compiled.set(key, validate);
    }
    return validate;
  }
}
