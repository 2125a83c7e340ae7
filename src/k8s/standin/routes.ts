/**
 * HTTP routing of the K8s stand-in (staging and tests only): authentication, discovery, and the
 * REST verbs on /api/v1/... and /apis/<group>/<version>/... as the API server lays them out.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdmittedWrites } from "./admission/admitted-writes";
import type { Duplex } from "node:stream";
import { ApiError, badRequest, methodNotAllowed, routeNotFound, unauthorized } from "./api-errors";
import { authenticate, forbiddenFor, isSuperuser, reviewOf, serveReview, type StaticTokens } from "./authn";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from "./discovery";
import { Query, checkAccept, parseJson, readBody, readDocument, sendError, sendJson } from "./http-io";
import type { K8sObject } from "./k8s-object";
import { isJsonObject, withoutTypeMeta } from "./k8s-object";
import { openApiV3Document, openApiV3Index } from "./openapi";
import { patchTypeOf } from "./patch";
import { scaleOf, writeScale } from "./scale";
import type { DeleteOptions } from "./deletion";
import type { Registry } from "./registry";
import type { ResourceType } from "./resources";
import { apiVersionOf, findResource } from "./resources";
import type { Store } from "./store";
import { includeObjectOf, list, selectionOf, watch } from "./list-watch";
import { toTable, wantsTable } from "./table";
import type { WatchSettings } from "./watch-stream";
import { isKubeletSubresource, proxyPodLog, proxyPodUpgrade, writeUpgradeError, type KubeletClientCert } from "./kubelet-proxy";

export interface StandinContext {
  registry: Registry;
  /** Creates, updates and patches through admission webhooks. */
  writes: AdmittedWrites;
  store: Store;
  /** Static bearer tokens and the users they stand for (authn.ts). */
  tokens: StaticTokens;
  /** host:port clients reach the server on, for APIVersions. */
  serverAddress: string;
  watchSettings: WatchSettings;
  /** Stop functions of open watches, ended at shutdown. */
  watches: Set<() => void>;
  /** What the server presents to kubelets for pods/log, exec, attach and portforward. */
  kubeletClient: KubeletClientCert;
}

interface ResourceRequest {
  rt: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

const UNAUTHENTICATED_PATHS = new Set(["/version", "/healthz", "/livez", "/readyz"]);

export async function handleRequest(ctx: StandinContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await route(ctx, req, res);
  } catch (err) {
    if (err instanceof ApiError) sendError(res, err);
    else {
      console.error("k8s stand-in: internal error", err);
      sendError(res, new ApiError(500, "InternalError", `Internal error occurred: ${(err as Error).message}`));
    }
  }
}

/** Who may act: an authenticated user (401 otherwise) with permission (403 otherwise; see authn.ts). */
function authorize(ctx: StandinContext, req: IncomingMessage, path: string): void {
  const user = authenticate(req, ctx.tokens);
  if (!user) throw unauthorized();
  if (!isSuperuser(user)) throw forbiddenFor(user, req.method ?? "GET", path);
}

async function route(ctx: StandinContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://stand-in");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const method = req.method ?? "GET";
  if (UNAUTHENTICATED_PATHS.has(path)) {
    if (path === "/version") sendJson(res, 200, versionInfo());
    else {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("ok");
    }
    return;
  }
  authorize(ctx, req, path);
  checkAccept(req.headers.accept);
  const segments = path
    .split("/")
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw badRequest(`malformed path segment "${segment}"`);
      }
    });
  const query = new Query(url.searchParams);
  const review = reviewOf(segments);
  if (review) return serveReview(review, req, res, ctx.tokens);

  if (segments[0] === "api") {
    if (segments.length === 1) return serveDocument(res, method, apiVersions(ctx.serverAddress));
    if (segments.length === 2) return serveDocument(res, method, apiResourceList("", segments[1] ?? ""));
    return resource(ctx, req, res, query, parseResourcePath("", segments[1] ?? "", segments.slice(2)));
  }
  if (segments[0] === "openapi" && segments[1] === "v3") {
    if (segments.length === 2) return serveDocument(res, method, openApiV3Index());
    return serveDocument(res, method, openApiV3Document(segments.slice(2).join("/")));
  }
  if (segments[0] === "apis") {
    if (segments.length === 1) return serveDocument(res, method, apiGroupList());
    if (segments.length === 2) return serveDocument(res, method, apiGroup(segments[1] ?? ""));
    if (segments.length === 3) return serveDocument(res, method, apiResourceList(segments[1] ?? "", segments[2] ?? ""));
    return resource(ctx, req, res, query, parseResourcePath(segments[1] ?? "", segments[2] ?? "", segments.slice(3)));
  }
  throw routeNotFound();
}

/** A read-only document (discovery, OpenAPI); undefined means no such document. */
function serveDocument(res: ServerResponse, method: string, document: unknown): void {
  if (document === undefined) throw routeNotFound();
  if (method !== "GET") throw methodNotAllowed(method);
  sendJson(res, 200, document);
}

function parseResourcePath(group: string, version: string, rest: readonly string[]): ResourceRequest | undefined {
  const namespacedForm = rest[0] === "namespaces" && rest.length >= 3 && findResource(group, version, rest[2] ?? "")?.namespaced === true;
  const [namespace, parts] = namespacedForm ? [rest[1], rest.slice(2)] : [undefined, rest];
  const [resourceName, name, subresource, ...extra] = parts;
  if (extra.length > 0 || !resourceName) return undefined;
  const rt = findResource(group, version, resourceName);
  if (!rt) return undefined;
  if (rt.namespaced !== (namespace !== undefined) && !(rt.namespaced && name === undefined)) return undefined;
  const kubeletSubresource = rt.kind === "Pod" && isKubeletSubresource(subresource);
  if (subresource !== undefined && !kubeletSubresource && !rt.subresources.includes(subresource as ResourceType["subresources"][number])) return undefined;
  return { rt, namespace, name, subresource };
}

async function deleteOptionsOf(req: IncomingMessage, query: Query): Promise<DeleteOptions> {
  const body = await readDocument(req);
  if (body !== undefined && !isJsonObject(body)) throw badRequest("the DeleteOptions body must be an object");
  const options: DeleteOptions = { dryRun: query.dryRun() };
  const grace = query.int("gracePeriodSeconds");
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = query.string("propagationPolicy");
  if (policy !== undefined) options.propagationPolicy = policy;
  if (body) {
    if (typeof body.gracePeriodSeconds === "number") options.gracePeriodSeconds = body.gracePeriodSeconds;
    if (typeof body.propagationPolicy === "string") options.propagationPolicy = body.propagationPolicy;
    if (isJsonObject(body.preconditions)) {
      const { uid, resourceVersion } = body.preconditions;
      options.preconditions = {
        ...(typeof uid === "string" ? { uid } : {}),
        ...(typeof resourceVersion === "string" ? { resourceVersion } : {}),
      };
    }
    if (Array.isArray(body.dryRun) && body.dryRun.includes("All")) options.dryRun = true;
  }
  return options;
}

function deletedResponse(rt: ResourceType, obj: K8sObject, removed: boolean): unknown {
  if (!removed || rt.returnDeletedObject) return obj;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    details: { name: obj.metadata.name, ...(rt.group ? { group: rt.group } : {}), kind: rt.resource, uid: obj.metadata.uid },
  };
}

async function resource(ctx: StandinContext, req: IncomingMessage, res: ServerResponse, query: Query, request: ResourceRequest | undefined): Promise<void> {
  if (!request) throw routeNotFound();
  const { rt, namespace, name, subresource } = request;
  const { registry } = ctx;
  const method = req.method ?? "GET";
  const table = wantsTable(req.headers.accept);
  const render = (obj: K8sObject): unknown => (table ? toTable(rt, [obj], obj.metadata.resourceVersion ?? "", includeObjectOf(query)) : obj);

  if (name === undefined) {
    switch (method) {
      case "GET":
        if (query.bool("watch")) return watch(ctx, res, query, rt, namespace, table);
        return list(ctx, res, query, rt, namespace, table);
      case "POST": {
        if (rt.namespaced && namespace === undefined) throw methodNotAllowed(method);
        const created = await ctx.writes.create(rt, namespace, await readDocument(req), { dryRun: query.dryRun() });
        return sendJson(res, 201, render(created));
      }
      case "DELETE": {
        const options = await deleteOptionsOf(req, query);
        const selection = selectionOf(rt, query);
        const items = registry.list(rt, namespace, selection).map((obj) => registry.delete(rt, obj.metadata.namespace, obj.metadata.name ?? "", options).object);
        return sendJson(res, 200, {
          kind: `${rt.kind}List`,
          apiVersion: apiVersionOf(rt),
          metadata: { resourceVersion: String(registry.resourceVersion) },
          items: items.map(withoutTypeMeta),
        });
      }
      default:
        throw methodNotAllowed(method);
    }
  }

  if (isKubeletSubresource(subresource)) {
    if (subresource !== "log") throw badRequest(`pods/${subresource} needs an upgrade to SPDY/3.1 or WebSocket`);
    return proxyPodLog(registry, ctx.kubeletClient, req, res, namespace ?? "", name, new URL(req.url ?? "/", "http://stand-in").searchParams);
  }

  if (subresource === "binding") {
    if (method !== "POST") throw methodNotAllowed(method);
    const binding = await readDocument(req);
    const target = isJsonObject(binding) && isJsonObject(binding.target) ? binding.target : {};
    if (typeof target.name !== "string" || target.name === "") throw badRequest("a Binding needs target.name");
    registry.bind(namespace ?? "", name, target.name, { dryRun: query.dryRun() });
    return sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
  }

  if (subresource === "scale") return scale(req, res, registry, request, query.dryRun());

  const writeOptions = { dryRun: query.dryRun(), ...(subresource === "status" ? { subresource: "status" as const } : {}) };
  switch (method) {
    case "GET":
      return sendJson(res, 200, render(registry.get(rt, namespace, name)));
    case "PUT": {
      const existed = registry.find(rt, namespace, name) !== undefined;
      const updated = await ctx.writes.update(rt, namespace, name, await readDocument(req), writeOptions);
      return sendJson(res, existed ? 200 : 201, render(updated));
    }
    case "PATCH": {
      const type = patchTypeOf(req.headers["content-type"]);
      const body = parseJson(await readBody(req));
      return sendJson(res, 200, render(await ctx.writes.patch(rt, namespace, name, type, body, writeOptions)));
    }
    case "DELETE": {
      if (subresource) throw methodNotAllowed(method);
      const { object, removed } = registry.delete(rt, namespace, name, await deleteOptionsOf(req, query));
      return sendJson(res, 200, deletedResponse(rt, object, removed));
    }
    default:
      throw methodNotAllowed(method);
  }
}

async function scale(req: IncomingMessage, res: ServerResponse, registry: Registry, request: ResourceRequest, dryRun: boolean): Promise<void> {
  const { rt, namespace } = request;
  const name = request.name ?? "";
  switch (req.method) {
    case "GET":
      return sendJson(res, 200, scaleOf(registry.get(rt, namespace, name)));
    case "PUT":
      return sendJson(res, 200, writeScale(registry, rt, namespace, name, { put: await readDocument(req) }, { dryRun }));
    case "PATCH": {
      const change = { patchType: patchTypeOf(req.headers["content-type"]), patch: parseJson(await readBody(req)) };
      return sendJson(res, 200, writeScale(registry, rt, namespace, name, change, { dryRun }));
    }
    default:
      throw methodNotAllowed(req.method ?? "");
  }
}

/** Upgrade requests (pods/exec, attach, portforward): authenticated like any request, then proxied to the kubelet. */
export function handleUpgrade(ctx: StandinContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on("error", () => socket.destroy());
  try {
    const url = new URL(req.url ?? "/", "http://stand-in");
    authorize(ctx, req, url.pathname);
    const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const request = segments[0] === "api" ? parseResourcePath("", segments[1] ?? "", segments.slice(2)) : undefined;
    if (!request?.name || !isKubeletSubresource(request.subresource)) throw routeNotFound();
    proxyPodUpgrade(ctx.registry, ctx.kubeletClient, req, socket, head, request.namespace ?? "", request.name, request.subresource, url.searchParams);
  } catch (err) {
    writeUpgradeError(socket, err instanceof ApiError ? err : new ApiError(500, "InternalError", `Internal error occurred: ${(err as Error).message}`));
  }
}
