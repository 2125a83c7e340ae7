/**
 * Watch responses of the K8s stand-in (staging and tests only): a chunked stream of newline-delimited
 * `{"type","object"}` events, each flushed as it happens, in resourceVersion order. Honours
 * resourceVersion (replay from history, or the current state as ADDED events when unset or "0"),
 * label/field selectors (an object leaving the selection is DELETED, entering it is ADDED),
 * allowWatchBookmarks, sendInitialEvents and timeoutSeconds. A resourceVersion older than the
 * retained history gets an ERROR event carrying a 410 Expired Status, as the API server's watch cache sends.
 */
import type { ServerResponse } from "node:http";
import { badRequest, expired } from "./api-errors";
import type { K8sObject } from "./k8s-object";
import type { Selection } from "./registry";
import { matches } from "./registry";
import type { ResourceType } from "./resources";
import { apiVersionOf, qualifiedResource } from "./resources";
import type { Change, Store } from "./store";
import { HistoryExpiredError } from "./store";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchRequest {
  rt: ResourceType;
  /** Only objects in this namespace; all namespaces when undefined. */
  namespace: string | undefined;
  selection: Selection;
  resourceVersion: string | undefined;
  timeoutSeconds: number | undefined;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  /** How an object goes on the wire (itself, or a Table row for kubectl). */
  encode(obj: K8sObject): unknown;
}

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Used when the request names no timeoutSeconds (the API server picks 30-60 min). */
  defaultTimeoutSeconds: number;
}

export const INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end";

/** Checks the request before any byte is written, so mistakes still get a plain error response. */
export function checkWatchRequest(request: WatchRequest): void {
  const rv = request.resourceVersion;
  if (rv !== undefined && rv !== "" && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version "${rv}"`);
  if (request.sendInitialEvents !== undefined && !request.allowWatchBookmarks) {
    throw badRequest("sendInitialEvents requires allowWatchBookmarks=true");
  }
}

/** Streams the watch until the timeout, the client leaving, or `stop()`; returns `stop`. */
export function serveWatch(res: ServerResponse, store: Store, request: WatchRequest, settings: WatchSettings): () => void {
  const { rt, namespace, selection } = request;
  const write = (type: WatchEventType, object: unknown): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const inScope = (obj: K8sObject): boolean => (namespace === undefined || obj.metadata.namespace === namespace) && matches(rt, obj, selection);
  const bookmark = (annotations?: Record<string, string>): void =>
    write("BOOKMARK", {
      kind: rt.kind,
      apiVersion: apiVersionOf(rt),
      metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) },
    });

  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  let unsubscribe = (): void => undefined;
  const timers: NodeJS.Timeout[] = [];
  const stop = (): void => {
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  res.on("close", stop);

  const rv = request.resourceVersion ?? "";
  const initialEvents = request.sendInitialEvents ?? (rv === "" || rv === "0");
  const from = initialEvents ? store.resourceVersion : Number(rv);
  if (initialEvents) {
    for (const obj of store.list(qualifiedResource(rt), namespace)) if (inScope(obj)) write("ADDED", request.encode(obj));
    if (request.sendInitialEvents) bookmark({ [INITIAL_EVENTS_END_ANNOTATION]: "true" });
  }
  const onChange = (change: Change): void => {
    const now = inScope(change.object);
    const before = change.previous !== undefined && inScope(change.previous);
    if (change.type === "DELETED") {
      if (now) write("DELETED", request.encode(change.object));
    } else if (change.type === "ADDED" || !before) {
      if (now) write("ADDED", request.encode(change.object));
    } else if (now) {
      write("MODIFIED", request.encode(change.object));
    } else {
      // Left the selection: DELETED with the previous content at the change's resourceVersion.
      const gone = { ...change.previous, metadata: { ...change.previous?.metadata, resourceVersion: String(change.rv) } };
      write("DELETED", request.encode(gone as K8sObject));
    }
  };
  try {
    unsubscribe = store.watch(qualifiedResource(rt), from, onChange);
  } catch (err) {
    if (!(err instanceof HistoryExpiredError)) throw err;
    write("ERROR", expired(err.message).toStatus());
    stop();
    return stop;
  }
  if (request.allowWatchBookmarks) {
    const tick = (): void => {
      bookmark();
      timers[0] = setTimeout(tick, settings.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, settings.bookmarkIntervalMs);
  }
  timers.push(setTimeout(stop, (request.timeoutSeconds ?? settings.defaultTimeoutSeconds) * 1000));
  return stop;
}
