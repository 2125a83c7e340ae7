/**
 * Hostile bodies at the events and reconcile routes, signed as the relay would sign them: every one
 * gets a 4xx or a `rejected` naming the field, never a 500, nothing of it is stored, and the worker
 * keeps serving. A seeded property test mutates a valid pod at random.
 */
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EventResult } from "../../src/shared/contract";
import { eventually, getPod, newCluster, pod, signedFetch } from "./helpers";

const deep = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

async function send(cluster: string, events: unknown[]): Promise<{ status: number; results?: EventResult[]; text: string }> {
  const res = await signedFetch(`/v1/clusters/${cluster}/events`, { body: JSON.stringify({ events }) });
  const text = await res.text();
  return { status: res.status, text, ...(res.status === 200 ? { results: (JSON.parse(text) as { results: EventResult[] }).results } : {}) };
}

/** The worker answers, and a valid pod (deleted again at once: no machine work outlives the test) applies. */
async function healthy(cluster: string): Promise<void> {
  expect((await exports.default.fetch("http://worker/healthz")).status).toBe(200);
  const ok = pod();
  const { results } = await send(cluster, [{ type: "ADDED", object: ok }, { type: "DELETED", object: ok }]);
  expect(results?.map((r) => r.outcome)).toEqual(["applied", "applied"]);
}

describe("hostile event bodies", () => {
  const { cluster } = newCluster("hostile");
  const big = "x".repeat(4 << 20);

  it.each([
    ["5,000 levels in an unknown field", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, future: deep(5000) } }), /^spec\.future(\.a)+: nested deeper than 64 levels/],
    ["5,000 levels in a known field", (p: ReturnType<typeof pod>) => ({ ...p, metadata: { ...p.metadata, labels: deep(5000, "x") } }), /^metadata\.labels(\.a)+: nested deeper than 64 levels/],
    ["a 4 MiB image", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: big }] } }), /^spec\.containers\[0\]\.image: the object is larger than 524288 bytes/],
    ["a 4 MiB env value", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: "nginx", env: [{ name: "A", value: big }] }] } }), /^spec\.containers\[0\]\.env\[0\]\.value: the object is larger/],
    ["a 4 MiB command", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: "nginx", command: [big] }] } }), /^spec\.containers\[0\]\.command\[0\]: the object is larger/],
    ["a 2,000-character image", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: "x".repeat(2000) }] } }), /^invalid Pod: spec\.containers\[0\]\.image: must be no more than 1024 characters/],
    ["a 200 KiB env value", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: "nginx", env: [{ name: "A", value: "x".repeat(200_000) }] }] } }), /spec\.containers\[0\]\.env\[0\]\.value: must be no more than 131072 characters/],
    ["a 200 KiB argument", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: "nginx", args: ["x".repeat(200_000)] }] } }), /spec\.containers\[0\]\.args\[0\]: must be no more than 131072 characters/],
    ["a 4 MiB unknown field", (p: ReturnType<typeof pod>) => ({ ...p, status: { note: big } }), /^status\.note: the object is larger than 524288 bytes/],
    ["a NUL in the name", (p: ReturnType<typeof pod>) => ({ ...p, metadata: { ...p.metadata, name: "web\u0000" } }), /metadata\.name: must be a lowercase RFC 1123 subdomain/],
    ["cpu -100m", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: "nginx", resources: { requests: { cpu: "-100m" } } }] } }), /resources\.requests\.cpu: must be greater than or equal to 0/],
    ["a probe on port 0", (p: ReturnType<typeof pod>) => ({ ...p, spec: { ...p.spec, containers: [{ name: "web", image: "nginx", readinessProbe: { tcpSocket: { port: 0 } } }] } }), /readinessProbe\.tcpSocket\.port: must be >= 1/],
  ])("%s: rejected by name, nothing stored, the rest of the batch applies", async (_name, mutate, message) => {
    const bad = mutate(pod());
    const good = pod();
    const { status, results, text } = await send(cluster, [{ type: "ADDED", object: bad }, { type: "ADDED", object: good }, { type: "DELETED", object: good }]);
    expect(status, text.slice(0, 300)).toBe(200);
    expect(results![0]).toMatchObject({ uid: bad.metadata.uid, kind: "Pod", outcome: "rejected" });
    expect(results![0]!.message).toMatch(message);
    expect(results![1]).toMatchObject({ uid: good.metadata.uid, outcome: "applied" });
    expect(await getPod(cluster, bad.metadata.uid)).toBeUndefined();
    await healthy(cluster);
  });

  it("a whole body nested 5,000 levels deep is a 400", async () => {
    const res = await signedFetch(`/v1/clusters/${cluster}/events`, { body: JSON.stringify(deep(5000)) });
    expect(res.status).toBe(400);
    await healthy(cluster);
  });

  it("a snapshot holding an object nested too deep is a 400 naming it, and desired state stays", async () => {
    const kept = pod();
    await send(cluster, [{ type: "ADDED", object: kept }]);
    const snapshot = { pods: [{ ...pod(), spec: deep(100) }], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] };
    const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: { snapshot } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ path: expect.stringMatching(/^snapshot\.pods\[0\]\.spec(\.a)+$/) });
    expect(await getPod(cluster, kept.metadata.uid)).toBeDefined();
    await send(cluster, [{ type: "DELETED", object: kept }]);
  });

  it("the largest pod it accepts runs: pod, machine config and the machine Fly returns fit one row", async () => {
    const big = newCluster("big").cluster;
    const env = Array.from({ length: 4 }, (_, i) => ({ name: `V${i}`, value: "x".repeat(120_000) }));
    const p = pod({ spec: { containers: [{ name: "web", image: "nginx", env }] } });
    const { results } = await send(big, [{ type: "ADDED", object: p }]);
    expect(results![0]!.outcome).toBe("applied");
    await eventually("Running", async () => (await getPod(big, p.metadata.uid))?.status.phase === "Running", 50_000);
    await send(big, [{ type: "DELETED", object: p }]);
  }, 60_000);
});

describe("any mutation of a valid pod", () => {
  const { cluster } = newCluster("fuzz");
  const hostile = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom(-1, 0, 65536, -0.5, 1e308, "", "-1", "-100m", "\u0000", "Web", "a".repeat(300), "x".repeat(200_000)),
    fc.integer({ min: 1, max: 200 }).map((n) => deep(n)),
    fc.constantFrom(deep(5000), "y".repeat(3 << 20)),
  );
  const base = pod({
    spec: {
      containers: [
        { name: "web", image: "nginx:1.27", command: ["nginx"], env: [{ name: "A", value: "1" }], ports: [{ containerPort: 80, name: "http" }], readinessProbe: { httpGet: { port: 80, path: "/" } }, resources: { requests: { cpu: "100m", memory: "64Mi" } } },
      ],
    },
  });
  const paths: string[][] = [];
  const collect = (v: unknown, path: string[]) => {
    paths.push(path);
    if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) collect(x, [...path, k]);
  };
  collect(base, []);
  const setAt = (obj: unknown, path: string[], value: unknown): unknown => {
    if (path.length === 0) return value;
    const copy = (Array.isArray(obj) ? [...obj] : { ...(obj as object) }) as Record<string, unknown>;
    copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), value);
    return copy;
  };

  it("is answered 2xx applied/rejected or 4xx, never 5xx, and a rejected one stores nothing", async () => {
    const seed = Number((env as { FUZZ_SEED?: string }).FUZZ_SEED || Date.now() % 2 ** 31);
    const applied: unknown[] = [];
    console.log(`hostile-input property seed: ${seed} (FUZZ_SEED=${seed} to replay)`);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.filter((p) => p.length > 0)), hostile, async (path, value) => {
        const uid = crypto.randomUUID();
        const mutated = setAt({ ...base, metadata: { ...base.metadata, uid, name: `fuzz-${uid.slice(0, 8)}` } }, path, value) as { metadata?: { uid?: unknown } };
        const { status, results, text } = await send(cluster, [{ type: "ADDED", object: mutated }]);
        expect(status, text.slice(0, 300)).toBeLessThan(500);
        if (status !== 200) return;
        expect(["applied", "rejected", "ignored", "unchanged"]).toContain(results![0]!.outcome);
        if (results![0]!.outcome === "rejected") expect(await getPod(cluster, uid)).toBeUndefined();
        else if (results![0]!.outcome === "applied") applied.push(mutated);
      }),
      { seed, numRuns: 120 },
    );
    await healthy(cluster);
    // No machine work left running when the file ends.
    await send(cluster, applied.map((object) => ({ type: "DELETED", object })));
  });
});
