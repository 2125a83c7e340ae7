/**
 * What the application e2e tests share: the real kubectl against a running system, and what a pod's
 * Machine sees at boot (the emulator's boot view, `GET /_emulator/apps/{app}/machines/{id}/boot`).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { KUBECTL } from "../k8s-standin/kubectl-runner";
import { waitFor as waitUntil } from "../relay/helpers";
import type { ClusterStatusView } from "../../../src/worker/ops/status-view";
import type { System } from "./system";

export const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>) => waitUntil(what, check, 60_000);
export const manifest = (name: string) => fileURLToPath(new URL(`../../fixtures/manifests/apply/${name}`, import.meta.url));

export interface BootFile {
  path: string;
  mode: number;
  content_base64: string;
}
export interface Boot {
  env: Record<string, string>;
  files: BootFile[];
  mounts: Array<{ path: string; volume_id: string; size_gb: number }>;
  containers: Record<string, { env: Record<string, string>; files: BootFile[] }>;
}
export interface EmulatorMachine {
  id: string;
  state: string;
  config: { metadata?: Record<string, string> };
}
export type Claim = { metadata: { uid: string; name: string }; spec: { volumeName?: string }; status: { phase?: string; capacity?: { storage?: string }; accessModes?: string[] } };
export type PodList = { items: Array<{ metadata: { name: string; uid: string } }> };

export function appsKit(sys: System) {
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
  const emulator = async <T>(path: string): Promise<T> => (await (await fetch(`${sys.emulator.url}${path}`)).json()) as T;
  // Fly allows a route 1 request/s per app (the emulator as well): tests that poll stay under it.
  let flyApiAt = 0;
  const flyApi = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const wait = flyApiAt + 1_050 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    flyApiAt = Date.now();
    const res = await fetch(`${sys.emulator.url}/v1/apps/${sys.app}${path}`, { headers: { authorization: `Bearer ${sys.flyToken}` } });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as T };
  };
  const machines = () => emulator<EmulatorMachine[]>(`/_emulator/apps/${sys.app}/machines`);
  /** The live Machine of the pod with this UID. */
  async function machineOf(podUid: string): Promise<string> {
    const m = (await machines()).find((x) => x.config.metadata?.machinelet_pod_uid === podUid && x.state !== "destroyed");
    if (!m) throw new Error(`no machine for pod ${podUid}`);
    return m.id;
  }
  const boot = (machineId: string) => emulator<Boot>(`/_emulator/apps/${sys.app}/machines/${machineId}/boot`);
  /** The boot view of the pod's Machine, by the pod's name. */
  async function bootOfPod(name: string, namespace = "default"): Promise<{ uid: string; machineId: string; boot: Boot }> {
    const pod = await json<{ metadata: { uid: string } }>("get", "pod", name, "-n", namespace);
    const machineId = await machineOf(pod.metadata.uid);
    return { uid: pod.metadata.uid, machineId, boot: await boot(machineId) };
  }
  /** Every value of every key of every Secret in the cluster, decoded. */
  async function secretValues(): Promise<Map<string, string>> {
    const list = await json<{ items: Array<{ metadata: { namespace: string; name: string }; data?: Record<string, string> }> }>("get", "secrets", "-A");
    const out = new Map<string, string>();
    for (const s of list.items) for (const [k, v] of Object.entries(s.data ?? {})) out.set(`${s.metadata.namespace}/${s.metadata.name}/${k}`, Buffer.from(v, "base64").toString());
    return out;
  }
  /** The status page's view of the cluster (passes, decisions, volumes, orphan volumes). */
  const view = async () => (await (await fetch(`${sys.worker.url}/ui/clusters/${sys.cluster}/view.json`, { headers: { authorization: `Bearer ${sys.statusToken}` } })).json()) as ClusterStatusView;
  return { kubectl, json, emulator, flyApi, machines, machineOf, boot, bootOfPod, secretValues, view };
}

export const decoded = (f: BootFile | undefined) => (f ? Buffer.from(f.content_base64, "base64").toString() : undefined);

/** Everything a boot view shows (env values and file contents, the machine's and each container's), to search for secret values. */
export function bootTexts(boot: Boot): string[] {
  const parts = [boot.env, ...Object.values(boot.containers ?? {}).map((c) => c.env)].flatMap((e) => Object.values(e));
  const files = [...boot.files, ...Object.values(boot.containers ?? {}).flatMap((c) => c.files)].map((f) => decoded(f)!);
  return [...parts, ...files];
}
