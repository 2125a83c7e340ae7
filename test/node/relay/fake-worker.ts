/**
 * A local HTTP server standing in for the worker's relay-facing endpoints (events, reconcile,
 * status feed, healthz). It checks every signature with the worker's own verifySignature and
 * records what it receives; the test drives the status feed and can make the worker fail.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  eventsBodySchema,
  eventsResponseSchema,
  feedPageSchema,
  reconcileBodySchema,
  reconcileCountsSchema,
  SIGNATURE_HEADER,
  verifySignature,
  type FeedEntry,
} from "../../../src/shared/contract";

export interface RecordedEvent {
  type: string;
  object: { kind?: string; apiVersion?: string; metadata: { uid?: string; name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };
}

export type { FeedEntry };

export interface FakeWorker {
  url: string;
  /** Every event of every accepted POST /events, in arrival order. */
  events: RecordedEvent[];
  /** Bodies of accepted POST /reconcile. */
  snapshots: { snapshot: Record<string, RecordedEvent["object"][]> }[];
  /** Event batch sizes, per accepted request. */
  batches: number[];
  /** Requests refused for a bad signature (should stay empty). */
  badSignatures: string[];
  /** `after` of every status request. */
  feedCursors: string[];
  pushStatus(...entries: FeedEntry[]): void;
  /** While down, every route answers 503. */
  setDown(down: boolean): void;
  /** The next `n` POST /events answer 503. */
  failNextEvents(n: number): void;
  close(): Promise<void>;
}

export async function startFakeWorker(opts: { secret: string; cluster: string }): Promise<FakeWorker> {
  const events: RecordedEvent[] = [];
  const snapshots: FakeWorker["snapshots"] = [];
  const batches: number[] = [];
  const badSignatures: string[] = [];
  const feedCursors: string[] = [];
  const feed: (FeedEntry & { seq: number })[] = [];
  let waiters: (() => void)[] = [];
  let down = false;
  let failEvents = 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (down) return json(res, 503, { error: "down" });
    const url = new URL(req.url ?? "/", "http://worker");
    if (url.pathname === "/healthz") return json(res, 200, { ok: true });
    const m = /^\/v1\/clusters\/([^/]+)\/(events|reconcile|status)$/.exec(url.pathname);
    if (!m || m[1] !== opts.cluster) return json(res, 404, { error: "no such route" });
    const check = await verifySignature(opts.secret, req.headers[SIGNATURE_HEADER] as string | undefined, req.method ?? "", url.pathname + url.search, body);
    if (!check.ok) {
      badSignatures.push(`${req.method} ${url.pathname}: ${check.reason}`);
      return json(res, 401, { error: check.reason });
    }
    if (m[2] === "events" && req.method === "POST") {
      if (failEvents > 0) {
        failEvents--;
        return json(res, 503, { error: "injected failure" });
      }
      // The worker's own schema: a body the worker would refuse fails the relay's tests.
      const parsed = eventsBodySchema.parse(JSON.parse(body)) as { events: RecordedEvent[] };
      events.push(...parsed.events);
      batches.push(parsed.events.length);
      const results = parsed.events.map((e) => ({ uid: e.object.metadata.uid ?? "", kind: e.object.kind ?? "", outcome: "applied" as const }));
      return json(res, 200, eventsResponseSchema.parse({ results }));
    }
    if (m[2] === "reconcile" && req.method === "POST") {
      const parsed = reconcileBodySchema.parse(JSON.parse(body));
      if (!parsed.snapshot) return json(res, 400, { error: "the relay always sends a snapshot" });
      snapshots.push(parsed as unknown as FakeWorker["snapshots"][number]);
      return json(res, 200, reconcileCountsSchema.parse({ created: 0, updated: 0, destroyed: 0, orphansDestroyed: 0, unchanged: 0 }));
    }
    if (m[2] === "status" && req.method === "GET") {
      if (body !== "") return json(res, 400, { error: "GET with a body" });
      const after = Number(url.searchParams.get("after") ?? "0");
      const wait = Math.min(30, Number(url.searchParams.get("wait") ?? "0"));
      feedCursors.push(url.searchParams.get("after") ?? "");
      const page = () => feed.filter((e) => e.seq > after);
      if (page().length === 0 && wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait * 1000);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      if (down) return json(res, 503, { error: "down" });
      const pods = page();
      const cursor = pods.length ? pods[pods.length - 1]!.seq : after;
      return json(res, 200, feedPageSchema.parse({ cursor: String(cursor), pods: pods.map(({ seq: _, ...e }) => e) }));
    }
    return json(res, 405, { error: "method not allowed" });
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const wakeAll = () => {
    for (const w of waiters) w();
    waiters = [];
  };

  return {
    url: `http://127.0.0.1:${port}`,
    events,
    snapshots,
    batches,
    badSignatures,
    feedCursors,
    pushStatus: (...entries) => {
      for (const e of entries) feed.push({ ...e, seq: feed.length + 1 });
      wakeAll();
    },
    setDown: (d) => {
      down = d;
      wakeAll();
    },
    failNextEvents: (n) => {
      failEvents = n;
    },
    close: async () => {
      wakeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
