/**
 * The relay and the worker share one wire contract (src/shared/contract). These tests hold the
 * relay's real outputs against the schemas the worker parses them with, so the two sides cannot
 * drift apart without a failure here (the worker tests parse the worker's answers with the same
 * schemas the relay uses, and the relay's fake worker parses what it receives with them too).
 */
import { describe, expect, it } from "vitest";
import { eventsBodySchema, MAX_BODY_BYTES, MAX_EVENTS, reconcileBodySchema, snapshotSchema, SNAPSHOT_KINDS } from "../../src/shared/contract";
import { EventQueue } from "../../src/relay/event-queue";
import type { KubeObject } from "../../src/relay/kube-api";

const pod = (i: number, pad = 0): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `p${i}`, namespace: "default", uid: `uid-${i}`, resourceVersion: String(i), annotations: { pad: "x".repeat(pad) } },
  spec: { containers: [{ name: "main", image: "nginx" }] },
});

describe("relay -> worker: POST /events", () => {
  it("a full batch the relay cuts is one body the worker accepts, at most MAX_EVENTS events", () => {
    const q = new EventQueue(100);
    for (let i = 0; i < MAX_EVENTS + 20; i++) q.push({ type: i % 3 === 0 ? "MODIFIED" : "ADDED", object: pod(i) });
    q.push({ type: "DELETED", object: pod(9_999) });
    const { batch } = q.take(MAX_EVENTS, MAX_BODY_BYTES);
    expect(batch!.events).toHaveLength(MAX_EVENTS);
    const parsed = eventsBodySchema.safeParse(JSON.parse(batch!.body));
    expect(parsed.success, JSON.stringify(parsed.error?.issues?.[0])).toBe(true);
    expect(Buffer.byteLength(batch!.body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
  });

  it("a batch cut by bytes stays under the worker's body limit", () => {
    const q = new EventQueue(100);
    for (let i = 0; i < 20; i++) q.push({ type: "ADDED", object: pod(i, 400_000) });
    const { batch } = q.take(MAX_EVENTS, MAX_BODY_BYTES);
    expect(Buffer.byteLength(batch!.body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(eventsBodySchema.safeParse(JSON.parse(batch!.body)).success).toBe(true);
  });

  it("the worker refuses one event more than the relay ever sends", () => {
    const events = Array.from({ length: MAX_EVENTS + 1 }, (_, i) => ({ type: "ADDED", object: pod(i) }));
    expect(eventsBodySchema.safeParse({ events }).success).toBe(false);
  });
});

describe("relay -> worker: POST /reconcile", () => {
  it("the relay's snapshot names every list the worker requires, each of the kind the worker assumes", () => {
    const snapshot = { pods: [pod(1)], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] };
    expect(Object.keys(snapshot).sort()).toEqual(Object.keys(SNAPSHOT_KINDS).sort());
    expect(reconcileBodySchema.safeParse({ snapshot }).success).toBe(true);
    expect(snapshotSchema.safeParse({ ...snapshot, persistentVolumeClaims: undefined }).success).toBe(false);
  });
});
