// The secret and volume syncs call Fly within its documented rate limits, as convergence does:
// the emulator enforces them and counts every 429 per app, so any 429 here is a budget the worker
// got wrong (nothing else calls this app's routes: the test reads only control routes).
import { describe, expect, it } from "vitest";
import { emulatorUrl, eventually, getPod, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";

const PODS = 6;
let rv = 9_000;
const meta = (name: string) => ({ name, namespace: "default", uid: crypto.randomUUID(), resourceVersion: String(++rv) });
const deleted = <T extends { metadata: Record<string, unknown> }>(o: T) => ({ type: "DELETED", object: { ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } } });

type Calls = Record<string, Record<string, number>>;
async function callsOn(app: string): Promise<Calls> {
  const res = await fetch(`${emulatorUrl}/_emulator/stats?app=${app}`);
  return ((await res.json()) as { calls: Calls }).calls;
}
const count = (calls: Calls, match: (route: string, status: string) => boolean) =>
  Object.entries(calls).reduce((n, [route, byStatus]) => n + Object.entries(byStatus).reduce((m, [status, k]) => m + (match(route, status) ? k : 0), 0), 0);

describe("the secret and volume syncs within Fly's rate limits", () => {
  it(`${PODS} pods with a secret env and a claim each: created, deleted, volumes destroyed, not one 429`, async () => {
    const { cluster, app } = newCluster();
    const secret = { apiVersion: "v1", kind: "Secret", metadata: meta("db"), data: { password: btoa("pw") } };
    const claims = Array.from({ length: PODS }, (_, i) => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta(`data-${i}`),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    }));
    const pods = claims.map((c) =>
      pod({
        spec: {
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: c.metadata.name } }],
          containers: [{ name: "app", image: "nginx:1.27", env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }], volumeMounts: [{ name: "data", mountPath: "/data" }] }],
        },
      }),
    );
    await postEvents(cluster, [secret, ...claims, ...pods].map((object) => ({ type: "ADDED", object })));
    for (const p of pods) await podPhase(cluster, p.metadata.uid, "Running");

    await postEvents(cluster, [...pods.map(deleted), ...claims.map(deleted)]);
    for (const p of pods) await eventually("pod gone", async () => (await getPod(cluster, p.metadata.uid)) === undefined);
    // Passes in quick succession, as the relay's relists may bring them: each one syncs secrets and volumes.
    await eventually(
      "every claim's volume destroyed",
      async () => {
        const res = await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} });
        expect([200, 503]).toContain(res.status);
        return count(await callsOn(app), (route, status) => route === "DELETE /v1/apps/{app_name}/volumes/{volume_id}" && status === "200") === PODS;
      },
      40_000,
    );
    const calls = await callsOn(app);
    expect(count(calls, (_r, status) => status === "429"), JSON.stringify(calls)).toBe(0);
  }, 60_000);
});
