/**
 * Lists and watches of the K8s stand-in (staging and tests only): label and field selection,
 * `limit`/`continue` paging and `Table` output as the API server answers them.
 */
import type { ServerResponse } from "node:http";
import { badRequest } from "./api-errors";
import type { Query } from "./http-io";
import { sendJson } from "./http-io";
import type { K8sObject } from "./k8s-object";
import { isJsonObject, objectKey, withoutTypeMeta } from "./k8s-object";
import type { Selection } from "./registry";
import type { ResourceType } from "./resources";
import { apiVersionOf, fieldsOf } from "./resources";
import type { StandinContext } from "./routes";
import { SelectorError, parseFieldSelector, parseLabelSelector } from "./selectors";
import type { IncludeObject } from "./table";
import { toTable } from "./table";
import { checkWatchRequest, serveWatch } from "./watch-stream";

export function selectionOf(rt: ResourceType, query: Query): Selection {
  try {
    const labelSelector = parseLabelSelector(query.string("labelSelector") ?? "");
    const fieldSelector = parseFieldSelector(query.string("fieldSelector") ?? "");
    const known = Object.keys(fieldsOf(rt, { metadata: {} }));
    for (const requirement of fieldSelector) {
      if (!known.includes(requirement.field)) throw badRequest(`field label not supported: ${requirement.field}`);
    }
    return { labelSelector, fieldSelector };
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

export function includeObjectOf(query: Query): IncludeObject {
  const value = query.string("includeObject") ?? "Metadata";
  if (value !== "None" && value !== "Metadata" && value !== "Object") throw badRequest(`includeObject: Unsupported value: "${value}"`);
  return value;
}

interface ContinueToken {
  rv: number;
  after: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const token = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown;
    if (isJsonObject(token) && typeof token.rv === "number" && typeof token.after === "string") return { rv: token.rv, after: token.after };
  } catch {
    // reported below
  }
  throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
}

function itemKey(obj: K8sObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name ?? "");
}

export function list(ctx: StandinContext, res: ServerResponse, query: Query, rt: ResourceType, namespace: string | undefined, table: boolean): void {
  const selection = selectionOf(rt, query);
  const limit = query.int("limit");
  if (limit !== undefined && limit < 0) throw badRequest(`limit must be non-negative, got ${limit}`);
  const rawContinue = query.string("continue");
  const token = rawContinue ? decodeContinue(rawContinue) : undefined;
  const resourceVersion = token?.rv ?? ctx.registry.resourceVersion;
  let items = ctx.registry.list(rt, namespace, selection);
  if (token) items = items.filter((obj) => itemKey(obj) > token.after);
  let metadata: Record<string, unknown> = { resourceVersion: String(resourceVersion) };
  if (limit !== undefined && limit > 0 && items.length > limit) {
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    metadata = {
      ...metadata,
      continue: encodeContinue({ rv: resourceVersion, after: last ? itemKey(last) : "" }),
      remainingItemCount: items.length - limit,
    };
    items = page;
  }
  if (table) {
    sendJson(res, 200, { ...(toTable(rt, items, String(resourceVersion), includeObjectOf(query)) as object), metadata });
    return;
  }
  sendJson(res, 200, { kind: `${rt.kind}List`, apiVersion: apiVersionOf(rt), metadata, items: items.map(withoutTypeMeta) });
}

export function watch(ctx: StandinContext, res: ServerResponse, query: Query, rt: ResourceType, namespace: string | undefined, table: boolean): void {
  const include = includeObjectOf(query);
  const request = {
    rt,
    namespace,
    selection: selectionOf(rt, query),
    resourceVersion: query.string("resourceVersion"),
    timeoutSeconds: query.int("timeoutSeconds"),
    allowWatchBookmarks: query.bool("allowWatchBookmarks") ?? false,
    sendInitialEvents: query.bool("sendInitialEvents"),
    encode: (obj: K8sObject): unknown => (table ? toTable(rt, [obj], obj.metadata.resourceVersion ?? "", include) : obj),
  };
  checkWatchRequest(request);
  const stop = serveWatch(res, ctx.store, request, ctx.watchSettings);
  ctx.watches.add(stop);
  res.on("close", () => ctx.watches.delete(stop));
}
