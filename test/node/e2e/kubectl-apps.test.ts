/**
 * An application, not just a pod, with the real kubectl: `kubectl apply -f` of a PostgreSQL
 * Deployment with a ConfigMap, a Secret and a PersistentVolumeClaim runs through the whole system
 * (stand-in, relay, worker, emulator). The machine sees exactly the values, files and volume the
 * pod asked for (the emulator's boot view); the claim shows Bound with its volume's capacity as the
 * PV controller would write it; a shrink is refused by the API server, a growth extends the volume.
 * Skipped, with a notice, where /usr/bin/kubectl is missing.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAS_KUBECTL, KUBECTL } from "../k8s-standin/kubectl-runner";
import { waitFor as waitUntil } from "../relay/helpers";
import { startSystem, type System } from "./system";

if (!HAS_KUBECTL) console.warn(`NOTICE: skipping the kubectl apply of an application: ${KUBECTL} not found`);
const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 60_000);
const MANIFEST = fileURLToPath(new URL("../../fixtures/manifests/apply/postgres-config-secret-pvc.yaml", import.meta.url));

let sys: System;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(KUBECTL, ["--kubeconfig", sys.kubeconfigPath, ...args], { env: { ...process.env, HOME: sys.dir }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}
const json = async <T>(...args: string[]): Promise<T> => JSON.parse((await kubectl(...args, "-o", "json")).stdout) as T;

interface Boot {
  env: Record<string, string>;
  files: Array<{ path: string; content_base64: string }>;
  mounts: Array<{ path: string; volume_id: string; size_gb: number }>;
}
type Claim = { metadata: { uid: string }; status: { phase?: string; capacity?: { storage?: string }; accessModes?: string[] } };

beforeAll(async () => {
  if (!HAS_KUBECTL) return;
  sys = await startSystem({ cluster: "appse2e" });
  await waitFor("relay ready", async () => sys.relay.status().nodeReady && sys.relay.status().informersSynced);
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

describe.skipIf(!HAS_KUBECTL)("kubectl apply of PostgreSQL with a ConfigMap, a Secret and a claim", () => {
  it("runs; the machine sees what the pod asked for; the claim is Bound; shrink refused, growth extends the volume", async () => {
    const applied = await kubectl("apply", "-f", MANIFEST);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain("persistentvolumeclaim/postgres-data created");
    const waited = await kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=postgres", "--timeout=60s");
    expect(waited.code, waited.stderr).toBe(0);

    const pods = await json<{ items: Array<{ metadata: { uid: string } }> }>("get", "pods", "-l", "app=postgres");
    const uid = pods.items[0]!.metadata.uid;
    const machines = (await (await fetch(`${sys.emulator.url}/_emulator/apps/${sys.app}/machines`)).json()) as Array<{ id: string; state: string; config: { metadata?: Record<string, string> } }>;
    const machineId = machines.find((m) => m.config.metadata?.machinelet_pod_uid === uid && m.state !== "destroyed")!.id;
    const boot = (await (await fetch(`${sys.emulator.url}/_emulator/apps/${sys.app}/machines/${machineId}/boot`)).json()) as Boot;
    expect(boot.env).toMatchObject({ POSTGRES_DB: "appdb", POSTGRES_USER: "app", POSTGRES_PASSWORD: "s3cr3t-canary-pg", PGDATA: "/var/lib/postgresql/data/pgdata" });
    const init = boot.files.find((f) => f.path === "/docker-entrypoint-initdb.d/init.sql");
    expect(Buffer.from(init!.content_base64, "base64").toString()).toContain("CREATE TABLE IF NOT EXISTS greetings");
    expect(boot.mounts).toEqual([expect.objectContaining({ path: "/var/lib/postgresql/data", size_gb: 1 })]);

    const claim = await waitFor("the claim Bound", async () => {
      const c = await json<Claim>("get", "pvc", "postgres-data");
      return c.status.phase === "Bound" && c;
    });
    expect(claim.status).toEqual({ phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] });
    const volumeId = boot.mounts[0]!.volume_id;
    const row = await waitFor("the claim names its Fly volume", async () => {
      const out = (await kubectl("get", "pvc", "postgres-data")).stdout;
      return out.includes(volumeId) && out;
    });
    expect(row).toMatch(new RegExp(`postgres-data\\s+Bound\\s+${volumeId}\\s+1Gi\\s+RWO\\s`));
    const described = await kubectl("describe", "pvc", "postgres-data");
    expect(described.stdout).toMatch(/Status:\s+Bound/);

    const shrink = await kubectl("patch", "pvc", "postgres-data", "--type=merge", "-p", '{"spec":{"resources":{"requests":{"storage":"512Mi"}}}}');
    expect(shrink.code).not.toBe(0);
    expect(shrink.stderr).toContain("spec.resources.requests.storage: Forbidden: field can not be less than status.capacity");

    const grow = await kubectl("patch", "pvc", "postgres-data", "--type=merge", "-p", '{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}');
    expect(grow.code, grow.stderr).toBe(0);
    await waitFor("the claim's capacity at 3Gi", async () => (await json<Claim>("get", "pvc", "postgres-data")).status.capacity?.storage === "3Gi");
    const volumes = (await (await fetch(`${sys.emulator.url}/v1/apps/${sys.app}/volumes/${volumeId}`, { headers: { authorization: `Bearer ${sys.flyToken}` } })).json()) as { size_gb: number };
    expect(volumes.size_gb).toBe(3);
  }, 120_000);
});
