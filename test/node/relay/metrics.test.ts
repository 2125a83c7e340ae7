/**
 * The relay's /metrics over real HTTP: scraped and parsed with a Prometheus text-format parser
 * after real traffic (a pod forwarded, a status written, Lease renewals, the first lists).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseScrape, sampleValue } from "../../support/prometheus";
import { createPod, harness, waitFor, type Harness } from "./helpers";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h?.close();
});

const scrape = async () => {
  const res = await fetch(h.relay!.metricsUrl!);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseScrape(await res.text());
};

describe("relay metrics", () => {
  it("counts forwarded events, batches, lists, Lease renewals and status writes", async () => {
    const relay = await h.start();
    expect(relay.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await waitFor("node registered", () => relay.status().nodeRegistered);
    const pod = await createPod(h.kube, "web");
    await waitFor("pod forwarded", () => h.worker.events.some((e) => e.object.metadata?.uid === pod.metadata.uid));
    await waitFor("bound pod forwarded", async () => (sampleValue(await scrape(), "machinelet_relay_events_forwarded_total", { outcome: "applied" }) ?? 0) >= 1);
    h.worker.pushStatus({ uid: pod.metadata.uid!, namespace: "default", name: "web", status: { phase: "Running", podIP: "fdaa:0:1::3", podIPs: [{ ip: "fdaa:0:1::3" }] }, gone: false });
    const m = await waitFor("status written", async () => {
      const s = await scrape();
      return (sampleValue(s, "machinelet_relay_status_patches_total", { outcome: "written" }) ?? 0) >= 1 && s;
    });

    expect(m.get("machinelet_relay_events_forwarded_total")?.type).toBe("COUNTER");
    const batches = m.get("machinelet_relay_event_batch_duration_seconds")!;
    expect(batches.type).toBe("HISTOGRAM");
    const [all] = batches.metrics;
    expect(Number(all!.count)).toBeGreaterThanOrEqual(1);
    expect(Number(all!.buckets?.["+Inf"])).toBe(Number(all!.count));
    expect(sampleValue(m, "machinelet_relay_event_batches_total", { result: "ok" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, "machinelet_relay_event_batch_size")).toBeGreaterThanOrEqual(1);
    for (const kind of ["Pod", "Service", "Secret", "ConfigMap", "PersistentVolumeClaim"]) {
      expect(sampleValue(m, "machinelet_relay_relists_total", { kind }), kind).toBeGreaterThanOrEqual(1);
    }
    expect(sampleValue(m, "machinelet_relay_lease_renewals_total", { result: "ok" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, "machinelet_relay_status_feed_polls_total", { result: "ok" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(m, "machinelet_relay_status_feed_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(m, "machinelet_relay_events_pending")).toBeGreaterThanOrEqual(0);
    expect(sampleValue(m, "machinelet_relay_kubelet_sessions")).toBe(0);
    expect(m.get("process_cpu_user_seconds_total")?.type).toBe("COUNTER");
  });

  it("serves only /metrics, and nothing once stopped", async () => {
    const relay = await h.start();
    const other = await fetch(relay.metricsUrl!.replace("/metrics", "/"));
    expect(other.status).toBe(404);
    await relay.stop();
    await expect(fetch(relay.metricsUrl!)).rejects.toThrow();
  });

  it("is not served with metricsPort null", async () => {
    const relay = await h.start({ metricsPort: null });
    expect(relay.metricsUrl).toBeUndefined();
  });
});
