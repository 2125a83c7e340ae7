/**
 * CPU profiles of the worker under test, taken through workerd's DevTools port (Miniflare's
 * inspector proxy, `BENCH_INSPECTOR_PORT`) with the Chrome DevTools Protocol's Profiler domain.
 * The proxy accepts only local and Cloudflare DevTools origins, so the socket sends
 * `Origin: http://localhost`. The profile is the V8 `.cpuprofile` format (open it in Chrome
 * DevTools' Performance panel or speedscope); `summarize` gives the top functions as text.
 */
import WebSocket from "ws";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Connects to the first target of the inspector at `port` and starts sampling (every `intervalUs`). */
export async function startCpuProfile(port: number, intervalUs = 200): Promise<{ stop(): Promise<CpuProfile> }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no DevTools target on port ${port}`);
  const ws = new WebSocket(url, { headers: { Origin: "http://localhost" } });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let next = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  return {
    async stop() {
      try {
        return ((await call("Profiler.stop")) as { profile: CpuProfile }).profile;
      } finally {
        ws.close();
      }
    },
  };
}

/** The `top` functions by self time and by total (inclusive) time, idle and GC named as V8 names them. */
export function summarize(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const key = (f: CallFrame) => `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  let all = 0;
  for (const [id, ms] of self) {
    all += ms;
    const f = byId.get(id)!.callFrame;
    selfBy.set(key(f), (selfBy.get(key(f)) ?? 0) + ms);
    // Each function once per stack, however often it recurses.
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const k = key(byId.get(n)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      totalBy.set(k, (totalBy.get(k) ?? 0) + ms);
    }
  }
  const idle = [...selfBy].filter(([k]) => k.startsWith("(idle)") || k.startsWith("(program)")).reduce((s, [, v]) => s + v, 0);
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `${ms.toFixed(1).padStart(9)} ms  ${k}`)
      .join("\n");
  return `profile: ${all.toFixed(0)} ms sampled, ${(all - idle).toFixed(0)} ms not idle\n-- self\n${rows(selfBy)}\n-- total\n${rows(totalBy)}`;
}
