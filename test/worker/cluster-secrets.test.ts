/**
 * Clusters isolated from each other: a cluster with a relay secret of its own (RELAY_SECRET_ISO_A,
 * RELAY_SECRET_ISO_B in vitest.config.ts) accepts only signatures made with it, and both secrets
 * during a rotation; clusters without one keep the shared RELAY_SECRET.
 */
import { describe, expect, it } from "vitest";
import { newCluster, pod, RELAY_SECRET, signedFetch } from "./helpers";

const A = "iso-a";
const B = "iso-b";

async function statusOf(cluster: string, secret: string, method: "GET" | "POST" = "GET"): Promise<{ status: number; error?: string }> {
  const res =
    method === "GET"
      ? await signedFetch(`/v1/clusters/${cluster}/pods/nobody`, { secret })
      : await signedFetch(`/v1/clusters/${cluster}/events`, { secret, body: { events: ((p) => [{ type: "ADDED", object: p }, { type: "DELETED", object: p }])(pod()) } });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, ...(res.status === 401 ? { error: body.error } : {}) };
}

describe("per-cluster relay secrets", () => {
  it("A's signature is refused on B's routes, and B's on A's", async () => {
    expect((await statusOf(B, "secret-of-a")).status).toBe(401);
    expect((await statusOf(B, "secret-of-a", "POST")).status).toBe(401);
    expect((await statusOf(A, "new-secret-of-b")).status).toBe(401);
    expect((await statusOf(A, "secret-of-a")).status).toBe(404);
  });

  it("the shared RELAY_SECRET is refused for a cluster that has its own, and says which secret it checked", async () => {
    const r = await statusOf(A, RELAY_SECRET);
    expect(r.status).toBe(401);
    expect(r.error).toBe("unauthorized: signature mismatch (checked against RELAY_SECRET_ISO_A)");
    expect(r.error).not.toContain("secret-of-a");
  });

  it("accepts both secrets while a rotation overlaps", async () => {
    expect((await statusOf(B, "new-secret-of-b")).status).toBe(404);
    expect((await statusOf(B, "old-secret-of-b")).status).toBe(404);
    expect((await statusOf(B, "new-secret-of-b", "POST")).status).toBe(200);
  });

  it("a cluster without a secret of its own keeps the shared RELAY_SECRET", async () => {
    const { cluster } = newCluster("shared");
    expect((await statusOf(cluster, RELAY_SECRET)).status).toBe(404);
    expect((await statusOf(cluster, "secret-of-a")).status).toBe(401);
  });
});
