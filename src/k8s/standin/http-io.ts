/**
 * Request and response plumbing of the K8s stand-in (staging and tests only): bodies, JSON,
 * Status errors, content negotiation and query parameters.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { ApiError, badRequest, notAcceptable } from "./api-errors";
import { PROTOBUF_MEDIA_TYPE, decodeProtobufObject } from "./protobuf";

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, "RequestEntityTooLarge", `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * The body of a create, update or delete: JSON, YAML or Kubernetes protobuf (what kubectl's typed
 * clients send), as the API server takes them; undefined when empty. Other media types get 415.
 */
export async function readDocument(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) return undefined;
  const mediaType = (req.headers["content-type"] ?? "application/json").split(";")[0]?.trim().toLowerCase();
  if (mediaType === "application/json") return parseJson(body);
  if (mediaType === PROTOBUF_MEDIA_TYPE) return decodeProtobufObject(body);
  if (mediaType === "application/yaml") {
    try {
      return parseYaml(body.toString("utf8"));
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
    }
  }
  throw new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got "${mediaType ?? ""}")`,
  );
}

/** undefined for an empty body. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-cache, private" });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

/** The stand-in speaks JSON only; a client that accepts nothing else (e.g. protobuf alone) gets 406. */
export function checkAccept(accept: string | undefined): void {
  if (!accept) return;
  const ok = accept.split(",").some((part) => {
    const media = part.split(";")[0]?.trim().toLowerCase() ?? "";
    return media === "application/json" || media === "*/*" || media === "application/*" || media === "";
  });
  if (!ok) throw notAcceptable(accept);
}

export class Query {
  constructor(private readonly params: URLSearchParams) {}

  string(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  bool(name: string): boolean | undefined {
    const value = this.params.get(name);
    if (value === null) return undefined;
    if (value === "true" || value === "1") return true;
    if (value === "false" || value === "0" || value === "") return false;
    throw badRequest(`invalid boolean value for ${name}: "${value}"`);
  }

  int(name: string): number | undefined {
    const value = this.params.get(name);
    if (value === null || value === "") return undefined;
    if (!/^-?\d+$/.test(value)) throw badRequest(`invalid integer value for ${name}: "${value}"`);
    return Number(value);
  }

  dryRun(): boolean {
    const values = this.params.getAll("dryRun");
    for (const value of values) if (value !== "All") throw badRequest(`dryRun: Unsupported value: "${value}": supported values: "All"`);
    return values.length > 0;
  }
}
