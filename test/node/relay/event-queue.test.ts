/** The coalescing queue: one pending entry per object, DELETED never replaced, the cap, and batch cutting. */
import { describe, expect, it } from "vitest";
import { EventQueue, type WatchEvent } from "../../../src/relay/event-queue";

const pod = (uid: string, rv: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "Pod", metadata: { uid, name: uid, namespace: "d", resourceVersion: rv }, ...extra });
const ev = (type: WatchEvent["type"], uid: string, rv: string, extra?: Record<string, unknown>): WatchEvent => ({ type, object: pod(uid, rv, extra) });
const summary = (events: WatchEvent[] | undefined) => (events ?? []).map((e) => `${e.type} ${e.object.metadata.uid}@${e.object.metadata.resourceVersion}`);

describe("EventQueue", () => {
  it("keeps only the latest event per object, in first-seen order", () => {
    const q = new EventQueue(10);
    q.push(ev("ADDED", "a", "1"));
    q.push(ev("ADDED", "b", "2"));
    q.push(ev("MODIFIED", "a", "3"));
    const { batch } = q.take(500, 1 << 20);
    expect(summary(batch?.events)).toEqual(["ADDED a@3", "ADDED b@2"]);
    expect(q.size).toBe(0);
  });

  it("never replaces a pending DELETED", () => {
    const q = new EventQueue(10);
    q.push(ev("MODIFIED", "a", "1"));
    q.push(ev("DELETED", "a", "2"));
    q.push(ev("MODIFIED", "a", "3"));
    expect(summary(q.take(500, 1 << 20).batch?.events)).toEqual(["DELETED a@2"]);
  });

  it("keeps the same object of another kind apart", () => {
    const q = new EventQueue(10);
    q.push(ev("ADDED", "x", "1"));
    q.push({ type: "ADDED", object: { ...pod("x", "2"), kind: "Secret" } });
    expect(q.size).toBe(2);
  });

  it("drops the oldest DELETED beyond the cap and says so", () => {
    const q = new EventQueue(2);
    expect(q.push(ev("DELETED", "a", "1"))).toBe(true);
    expect(q.push(ev("MODIFIED", "m", "2"))).toBe(true);
    expect(q.push(ev("DELETED", "b", "3"))).toBe(true);
    expect(q.push(ev("DELETED", "c", "4"))).toBe(false);
    expect(summary(q.take(500, 1 << 20).batch?.events)).toEqual(["MODIFIED m@2", "DELETED b@3", "DELETED c@4"]);
  });

  it("cuts batches at the event count and the byte size, with the exact body", () => {
    const q = new EventQueue(10);
    for (let i = 0; i < 5; i++) q.push(ev("ADDED", `u${i}`, String(i), { pad: "x".repeat(100) }));
    const first = q.take(2, 1 << 20).batch!;
    expect(summary(first.events)).toEqual(["ADDED u0@0", "ADDED u1@1"]);
    expect(JSON.parse(first.body)).toEqual({ events: first.events });
    const one = Buffer.byteLength(JSON.stringify({ events: [ev("ADDED", "u2", "2", { pad: "x".repeat(100) })] }));
    const byBytes = q.take(500, one + 10).batch!;
    expect(summary(byBytes.events)).toEqual(["ADDED u2@2"]);
    expect(Buffer.byteLength(byBytes.body)).toBe(one);
  });

  it("hands back an event that can never fit on its own", () => {
    const q = new EventQueue(10);
    q.push(ev("ADDED", "big", "1", { pad: "x".repeat(1000) }));
    q.push(ev("ADDED", "small", "2"));
    const { batch, oversized } = q.take(500, 500);
    expect(batch).toBeUndefined();
    expect(oversized?.object.metadata.uid).toBe("big");
    expect(summary(q.take(500, 500).batch?.events)).toEqual(["ADDED small@2"]);
  });

  it("puts a failed batch back in front unless a newer event arrived meanwhile", () => {
    const q = new EventQueue(10);
    q.push(ev("ADDED", "a", "1"));
    q.push(ev("ADDED", "b", "2"));
    const { batch } = q.take(500, 1 << 20);
    q.push(ev("ADDED", "c", "3"));
    q.push(ev("MODIFIED", "b", "4"));
    q.requeue(batch!.events);
    expect(summary(q.take(500, 1 << 20).batch?.events)).toEqual(["ADDED a@1", "ADDED c@3", "MODIFIED b@4"]);
  });
});
