import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { MachinesClient } from "../../src/machines/client";
import type { Machine } from "../../src/machines/schemas";
import { eventsResponseSchema, podViewSchema, signRequest, type EventResult, type PodView as WirePodView } from "../../src/shared/contract";

export const RELAY_SECRET = "test-relay-secret";
export const emulatorUrl = env.MACHINES_API_URL;
export const fly = new MachinesClient({ baseUrl: emulatorUrl, token: env.FLY_API_TOKEN });

let clusterSeq = 0;
/** A cluster (and so a Fly app) of its own for each test: emulator state is shared by all test files. */
export function newCluster(prefix = "t"): { cluster: string; app: string } {
  const cluster = `${prefix}-${Date.now().toString(36)}-${(clusterSeq++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  return { cluster, app: `fks-${cluster}` };
}

export async function signedFetch(path: string, init: { method?: string; body?: unknown; secret?: string; t?: number } = {}): Promise<Response> {
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  const body = init.body === undefined ? "" : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  const signature = await signRequest(init.secret ?? RELAY_SECRET, method, path, body, init.t);
  return exports.default.fetch(`http://worker${path}`, {
    method,
    body: method === "GET" ? undefined : body,
    headers: { "x-machinelet-signature": signature, "content-type": "application/json" },
  });
}

export async function postEvents(cluster: string, events: Array<{ type: string; object: unknown }>): Promise<EventResult[]> {
  const res = await signedFetch(`/v1/clusters/${cluster}/events`, { body: { events } });
  expect(res.status, await res.clone().text()).toBe(200);
  // Parsed with the contract's schema: the relay reads this answer with the very same one.
  return eventsResponseSchema.parse(await res.json()).results;
}

/** The contract's pod view, with the parts of PodStatus the tests read. */
export type PodView = Omit<WirePodView, "status"> & {
  status: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    podIPs?: Array<{ ip: string }>;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: Array<Record<string, unknown>>;
  };
};

export async function getPod(cluster: string, uid: string): Promise<PodView | undefined> {
  const res = await signedFetch(`/v1/clusters/${cluster}/pods/${uid}`);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return podViewSchema.parse(await res.json()) as PodView;
}

/** Polls until `check` returns a value (not undefined/false); fails with the last value seen. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    last = v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function podPhase(cluster: string, uid: string, phase: string): Promise<PodView> {
  return eventually(`pod ${uid} ${phase}`, async () => {
    const p = await getPod(cluster, uid);
    return p?.status?.phase === phase ? p : undefined;
  });
}

/** Every machine of the app, destroyed ones included: what the worker ever created (read through the emulator's control route, outside Fly's rate limits). */
export async function allMachines(app: string): Promise<Machine[]> {
  const res = await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines`);
  if (res.status === 404) return [];
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as Array<Machine & { privateIp: string }>).map((r) => ({ ...r, private_ip: r.privateIp }));
}

export async function emulatorConfig(config: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emulatorUrl}/_emulator/config`, { method: "PUT", body: JSON.stringify(config), headers: { "content-type": "application/json" } });
  expect(res.status, await res.clone().text()).toBe(200);
}

let podSeq = 0;
export function pod(over: { name?: string; namespace?: string; uid?: string; rv?: number; labels?: Record<string, string>; image?: string; spec?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}) {
  const n = podSeq++;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: over.name ?? `web-${n}`,
      namespace: over.namespace ?? "default",
      uid: over.uid ?? crypto.randomUUID(),
      resourceVersion: String(over.rv ?? 100),
      labels: over.labels ?? { app: "web" },
      ...over.metadata,
    },
    spec: {
      nodeName: "fks-test",
      restartPolicy: "Always",
      containers: [{ name: "web", image: over.image ?? "nginx:1.27", ports: [{ containerPort: 80 }] }],
      ...over.spec,
    },
  };
}
