/**
 * A seeded random schedule of deliveries and faults against one cluster, for the randomized fault
 * test: duplicates, stale and out-of-order copies, deletes of unknown pods, injected 5xx and
 * create-408-that-created, machines destroyed or stopped behind the worker's back, snapshots
 * under faults. It records the desired end state (live pods at their newest image, deleted UIDs)
 * for the test to check once faults stop.
 */
import { seededRandom } from "../../src/emulator/random";
import { emulatorUrl, fly, pod, signedFetch } from "./helpers";

type PodObject = ReturnType<typeof pod>;
type Event = { type: "ADDED" | "MODIFIED" | "DELETED"; object: PodObject };

export interface Outcome {
  /** uid -> the newest copy sent of each live pod */
  live: Map<string, PodObject>;
  deleted: Set<string>;
  log: string[];
}

export async function runSchedule(opts: { cluster: string; app: string; seed: number; steps: number }): Promise<Outcome> {
  const rand = seededRandom(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const live = new Map<string, PodObject>();
  const deleted = new Set<string>();
  const sent: Event[] = [];
  const log: string[] = [];
  const post = async (events: Event[]) => {
    sent.push(...events);
    const res = await signedFetch(`/v1/clusters/${opts.cluster}/events`, { body: { events } });
    if (res.status >= 500) throw new Error(`events answered ${res.status}: ${await res.text()}`);
  };
  const version = (p: PodObject, rv: number, image: string): PodObject => ({
    ...p,
    metadata: { ...p.metadata, resourceVersion: String(rv) },
    spec: { ...p.spec, containers: [{ ...p.spec.containers[0]!, image }] },
  });

  for (let step = 0; step < opts.steps; step++) {
    const r = rand();
    const livePods = [...live.values()];
    if (r < 0.25 || livePods.length === 0) {
      const p = pod({ image: `nginx:1.${Math.floor(rand() * 30)}` });
      live.set(p.metadata.uid, p);
      log.push(`add ${p.metadata.uid.slice(0, 8)}`);
      await post([{ type: "ADDED", object: p }]);
    } else if (r < 0.4) {
      const p = pick(livePods);
      const next = version(p, Number(p.metadata.resourceVersion) + 1, `nginx:1.${Math.floor(rand() * 30)}`);
      live.set(p.metadata.uid, next);
      log.push(`modify ${p.metadata.uid.slice(0, 8)} -> ${next.spec.containers[0]!.image}`);
      await post([{ type: "MODIFIED", object: next }]);
    } else if (r < 0.5 && sent.length) {
      const old = pick(sent);
      log.push(`redeliver ${old.type} ${old.object.metadata.uid.slice(0, 8)} rv ${old.object.metadata.resourceVersion}`);
      await post([old]);
    } else if (r < 0.58) {
      const p = pick(livePods);
      live.delete(p.metadata.uid);
      deleted.add(p.metadata.uid);
      log.push(`delete ${p.metadata.uid.slice(0, 8)}`);
      await post([{ type: "DELETED", object: version(p, Number(p.metadata.resourceVersion) + 1, p.spec.containers[0]!.image) }]);
    } else if (r < 0.63) {
      const ghost = pod();
      deleted.add(ghost.metadata.uid);
      log.push(`delete unknown ${ghost.metadata.uid.slice(0, 8)}`);
      await post([{ type: "DELETED", object: ghost }]);
    } else if (r < 0.73) {
      await behindTheBack(opts.app, rand, log);
    } else if (r < 0.8) {
      const snapshot = { pods: [...live.values()], services: [], secrets: [], configMaps: [], persistentVolumeClaims: [] };
      const res = await signedFetch(`/v1/clusters/${opts.cluster}/reconcile`, { body: { snapshot } });
      log.push(`snapshot of ${live.size} pods: ${res.status}`);
      if (res.status !== 200 && res.status !== 503) throw new Error(`snapshot reconcile answered ${res.status}: ${await res.text()}`);
    } else {
      await new Promise((r) => setTimeout(r, 50 + Math.floor(rand() * 250)));
    }
  }
  return { live, deleted, log };
}

/** A machine of the app destroyed or stopped as the dashboard or flyctl would (through the API, faults and all). */
async function behindTheBack(app: string, rand: () => number, log: string[]): Promise<void> {
  const res = await fetch(`${emulatorUrl}/_emulator/apps/${app}/machines`);
  if (res.status !== 200) return;
  const machines = ((await res.json()) as Array<{ id: string; state: string }>).filter((m) => m.state === "started");
  if (!machines.length) return;
  const m = machines[Math.floor(rand() * machines.length)]!;
  const destroy = rand() < 0.5;
  log.push(`${destroy ? "destroy" : "stop"} machine ${m.id} behind the worker's back`);
  try {
    if (destroy) await fly.deleteMachine(app, m.id, { force: true });
    else await fly.stopMachine(app, m.id);
  } catch {
    // an injected fault or a machine already moving: the schedule goes on
  }
}
