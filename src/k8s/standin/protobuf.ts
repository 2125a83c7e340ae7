/**
 * Decoding of `application/vnd.kubernetes.protobuf` request bodies for the K8s stand-in (staging and
 * tests only). kubectl 1.32's generator subcommands (`kubectl create configmap|secret|namespace|
 * deployment|job|cronjob`) send their objects this way, unconditionally, through client-go's typed
 * clients; a real API server decodes them, so the stand-in does too (k8s.io/apimachinery
 * runtime/serializer/protobuf): the 4-byte magic `k8s\0`, then a runtime.Unknown whose typeMeta
 * names the kind and whose `raw` is that kind's message. The messages come from the upstream
 * generated.proto files of Kubernetes 1.32 (proto/, verbatim) and are turned into the JSON form the
 * rest of the stand-in speaks: Time as RFC 3339, Quantity and IntOrString as their JSON values,
 * bytes as base64, RawExtension and FieldsV1 as the JSON they carry.
 */
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { badRequest } from "./api-errors";
import { formatMicroTime, formatTime } from "./k8s-object";

export const PROTOBUF_MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const PROTO_ROOT = fileURLToPath(new URL("./proto/", import.meta.url));
const PROTO_FILES = ["core/v1", "apps/v1", "batch/v1", "discovery/v1", "autoscaling/v1"].map((gv) => `k8s.io/api/${gv}/generated.proto`);
const META = "k8s.io.apimachinery.pkg.apis.meta.v1";

let loaded: protobuf.Root | undefined;

/** Parsed once, on the first protobuf body: most runs never see one. */
function root(): protobuf.Root {
  if (loaded) return loaded;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => PROTO_ROOT + target;
  r.loadSync(PROTO_FILES, { keepCase: true });
  r.resolveAll();
  loaded = r;
  return r;
}

/** `apps/v1` + `Deployment` -> `k8s.io.api.apps.v1.Deployment`. */
function messageName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  return `k8s.io.api.${group}.${version}.${kind}`;
}

type Special = (message: protobuf.Message & Record<string, unknown>) => unknown;

function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(String(value));
}

/** Messages whose JSON form is not the object of their fields (their MarshalJSON in apimachinery). */
const SPECIAL: Readonly<Record<string, Special>> = {
  [`${META}.Time`]: (m) => (toNumber(m.seconds ?? 0) === 0 ? undefined : formatTime(new Date(toNumber(m.seconds ?? 0) * 1000))),
  [`${META}.MicroTime`]: (m) => formatMicroTime(new Date(toNumber(m.seconds ?? 0) * 1000 + Math.floor(toNumber(m.nanos ?? 0) / 1e6))),
  [`${META}.Duration`]: (m) => `${toNumber(m.duration ?? 0) / 1e9}s`,
  [`${META}.FieldsV1`]: (m) => rawJson(m.Raw),
  "k8s.io.apimachinery.pkg.runtime.RawExtension": (m) => rawJson(m.raw),
  "k8s.io.apimachinery.pkg.api.resource.Quantity": (m) => m.string ?? "",
  "k8s.io.apimachinery.pkg.util.intstr.IntOrString": (m) => (toNumber(m.type ?? 0) === 1 ? (m.strVal ?? "") : toNumber(m.intVal ?? 0)),
};

function rawJson(raw: unknown): unknown {
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(raw).toString("utf8"));
  } catch {
    throw badRequest("an embedded object in the protobuf body is not JSON");
  }
}

function scalarToJson(field: protobuf.Field, value: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return messageToJson(field.resolvedType, value as protobuf.Message & Record<string, unknown>);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (field.type === "int64" || field.type === "uint64" || field.type === "sint64") return toNumber(value);
  return value;
}

/**
 * Go's protobuf marshalling writes every non-pointer field, zero or not, and its JSON marshalling
 * drops zero values (`omitempty`), so a zero on the wire mostly means "unset". Pointer fields whose
 * zero is a choice of the user's keep it: these, by name.
 */
const MEANINGFUL_ZEROS = new Set(["replicas", "parallelism", "completions", "backoffLimit", "terminationGracePeriodSeconds", "revisionHistoryLimit", "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "ttlSecondsAfterFinished", "activeDeadlineSeconds", "startingDeadlineSeconds", "defaultMode", "mode"]);

function isUnset(name: string, value: unknown): boolean {
  if (value === undefined || value === "" || value === false) return true;
  if (value === 0) return !MEANINGFUL_ZEROS.has(name);
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

/** The JSON object of a decoded message: the fields present on the wire that are not zero (see isUnset). */
function messageToJson(type: protobuf.Type, message: protobuf.Message & Record<string, unknown>): unknown {
  const special = SPECIAL[type.fullName.replace(/^\./, "")];
  if (special) return special(message);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(message, field.name)) continue;
    const value = message[field.name];
    let json: unknown;
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries((value ?? {}) as Record<string, unknown>);
      json = entries.length === 0 ? undefined : Object.fromEntries(entries.map(([k, v]) => [k, scalarToJson(field, v)]));
    } else if (field.repeated) {
      json = ((value ?? []) as unknown[]).map((item) => scalarToJson(field, item));
    } else {
      json = scalarToJson(field, value);
    }
    if (!isUnset(field.name, json)) out[field.name] = json;
  }
  return out;
}

/** The JSON object a protobuf request body carries; 400 when it is not a Kubernetes protobuf object. */
export function decodeProtobufObject(body: Buffer): unknown {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest("the protobuf body does not start with the Kubernetes protobuf prefix (k8s\\x00)");
  }
  const r = root();
  let unknown: Record<string, unknown>;
  try {
    unknown = r.lookupType("k8s.io.apimachinery.pkg.runtime.Unknown").decode(body.subarray(MAGIC.length)) as unknown as Record<string, unknown>;
  } catch (err) {
    throw badRequest(`the protobuf body could not be decoded: ${(err as Error).message}`);
  }
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const { apiVersion, kind } = typeMeta;
  if (!apiVersion || !kind) throw badRequest("the protobuf body names no apiVersion and kind");
  const type = r.lookup(messageName(apiVersion, kind));
  if (!(type instanceof protobuf.Type)) throw badRequest(`no protobuf message is known for ${kind} in ${apiVersion}`);
  let message: protobuf.Message & Record<string, unknown>;
  try {
    message = type.decode((unknown.raw as Uint8Array | undefined) ?? new Uint8Array()) as protobuf.Message & Record<string, unknown>;
  } catch (err) {
    throw badRequest(`the ${kind} in the protobuf body could not be decoded: ${(err as Error).message}`);
  }
  return { apiVersion, kind, ...(messageToJson(type, message) as object) };
}
