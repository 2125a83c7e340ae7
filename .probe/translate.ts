import { parseK8sObject } from "../src/shared/k8s";
import { translatePod } from "../src/worker/cluster/pod-translation";
import { benchPods } from "../bench/lib/pods";
const pods = benchPods(10000);
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  const parsed = pods.map((p) => { const x = parseK8sObject("Pod", p); if (!x.ok) throw new Error(x.message); return x.object; });
  const tp = performance.now() - t; t = performance.now();
  const tr = parsed.map((p) => translatePod(p as never, { cluster: "c" } as never));
  const tt = performance.now() - t; t = performance.now();
  const js = tr.map((x) => JSON.stringify(x.config) + JSON.stringify(parsed[0]));
  console.log(`parse ${tp.toFixed(0)} ms, translate ${tt.toFixed(0)} ms, stringify ${(performance.now() - t).toFixed(0)} ms`, js.length);
}
