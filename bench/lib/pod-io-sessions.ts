/**
 * The load of the pod-io scenario: `logs -f` followers of pods whose machines get log lines at a
 * fixed rate through the emulator's logs control route, and exec loops, all through the K8s
 * stand-in (which reaches the relay's kubelet API as an API server does).
 */
import { request } from "node:https";
import { WebSocket } from "ws";
import type { K8sStandin } from "../../src/k8s/standin/server";
import type { BenchEmulator } from "./emulator";
import { poll, sleep } from "./wait";

export interface SessionCounts {
  execs: number;
  /** Seconds the exec loops ran. */
  execSeconds: number;
  /** Lines the emulator accepted for the followed machines, and lines the followers received. */
  injected: number;
  delivered: number;
  /** Seconds from the first injected line to the last. */
  injectSeconds: number;
  /** Per delivered line: received - injected (ms). */
  lagsMs: number[];
}

export interface Sessions {
  stop(): Promise<SessionCounts>;
}

export interface SessionLoad {
  k8s: K8sStandin;
  emulator: BenchEmulator;
  app: string;
  logPods: string[];
  execPods: string[];
  linesPerS: number;
}

/**
 * Opens the followers with `sinceTime` = now and starts injecting at once: a follower that reads
 * its first page late still gets every line (with `tailLines=0` the lines injected before it would
 * be lost, and counted as lag). Lines carry their injection time, so each delivered one gives its lag.
 */
export async function startSessions(load: SessionLoad): Promise<Sessions> {
  const auth = { Authorization: `Bearer ${load.k8s.token}` };
  let stopped = false;
  const counts: SessionCounts = { execs: 0, execSeconds: 0, injected: 0, delivered: 0, injectSeconds: 0, lagsMs: [] };

  // From now on, whenever each follower's first page comes: a line injected before it is not lost.
  const since = new Date().toISOString();
  const streams = load.logPods.map((pod) => {
    const req = request(`${load.k8s.url}/api/v1/namespaces/default/pods/${pod}/log?follow=true&sinceTime=${since}`, { ca: load.k8s.ca, headers: auth }, (res) => {
      let rest = "";
      res.on("data", (d: Buffer) => {
        const now = Date.now();
        const parts = (rest + d.toString()).split("\n");
        rest = parts.pop()!;
        for (const line of parts) {
          const m = /^line \d+ (\d+)$/.exec(line);
          if (!m) continue;
          counts.delivered++;
          counts.lagsMs.push(now - Number(m[1]));
        }
      });
      res.on("error", () => undefined);
    });
    req.on("error", () => undefined);
    req.end();
    return req;
  });

  const machines = await load.emulator.machines(load.app);
  const ids = load.logPods.map((pod) => {
    const id = machines.find((m) => m.config.metadata?.machinelet_pod === pod && m.state !== "destroyed")?.id;
    if (!id) throw new Error(`no machine for ${pod}`);
    return id;
  });
  // Paced by the clock, not by "send, then sleep": a slow round does not lower the rate.
  const injectStart = performance.now();
  let lastInjected = injectStart;
  const feeder = (async () => {
    for (let n = 0; !stopped; n++) {
      const at = injectStart + (n * 1000) / load.linesPerS;
      await sleep(Math.max(0, at - performance.now()));
      const body = JSON.stringify({ lines: [`line ${n} ${Date.now()}`] });
      const answers = await Promise.all(
        ids.map((id) => fetch(`${load.emulator.url}/_emulator/apps/${load.app}/machines/${id}/logs`, { method: "POST", body, headers: { "content-type": "application/json" } })),
      );
      counts.injected += answers.filter((r) => r.ok).length;
      lastInjected = performance.now();
    }
  })();

  const execStart = performance.now();
  const execLoops = load.execPods.map(async (pod) => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const ws = new WebSocket(`${load.k8s.url.replace(/^https/, "wss")}/api/v1/namespaces/default/pods/${pod}/exec?command=echo&command=hi&stdout=true`, ["v5.channel.k8s.io"], { ca: load.k8s.ca, headers: auth });
        ws.on("close", () => resolve());
        ws.on("error", () => resolve());
      });
      counts.execs++;
    }
  });

  return {
    stop: async () => {
      stopped = true;
      counts.execSeconds = (performance.now() - execStart) / 1000;
      await Promise.all([feeder, ...execLoops]);
      counts.injectSeconds = (lastInjected - injectStart) / 1000;
      // Let the followers' next polls pick up the last lines (the follow poll backs off from 0.5 s).
      await poll("followers caught up", async () => (counts.delivered >= counts.injected ? true : undefined), { everyMs: 100, timeoutMs: 5_000 }).catch(() => undefined);
      for (const s of streams) s.destroy();
      return counts;
    },
  };
}
