import { evictDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseScrape, sampleValue } from "../support/prometheus";
import { eventually, newCluster, pod, podPhase, postEvents, signedFetch } from "./helpers";

const scrapeText = async (query: string) => {
  const res = await exports.default.fetch(`http://worker/metrics${query}`, { headers: { authorization: "Bearer test-status-token" } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.text();
};
/** A reconcile pass that completes (one answered 503 for a list 429 from Fly's 1/s budget is tried again). */
const reconcileOk = (cluster: string) =>
  eventually(`reconcile of ${cluster}`, async () => (await signedFetch(`/v1/clusters/${cluster}/reconcile`, { body: {} })).status === 200);
const scrape = async (query: string) => parseScrape(await scrapeText(query));

describe("worker /metrics", () => {
  it("reports pods by phase, machines by state and problems per cluster, in the text format a parser accepts", async () => {
    const a = newCluster("m");
    const b = newCluster("m");
    const running = pod({ name: "web" });
    const refused = pod({ name: "huge", spec: { containers: [{ name: "main", image: "nginx", resources: { requests: { cpu: "500" } } }] } });
    await postEvents(a.cluster, [{ type: "ADDED", object: running }, { type: "ADDED", object: refused }]);
    await postEvents(b.cluster, [{ type: "ADDED", object: pod({ name: "other" }) }]);
    await podPhase(a.cluster, running.metadata.uid, "Running");
    await podPhase(a.cluster, refused.metadata.uid, "Failed");

    const m = await eventually("metrics of both clusters", async () => {
      const s = await scrape(`?cluster=${a.cluster}&cluster=${b.cluster}`);
      return sampleValue(s, "machinelet_pods", { cluster: b.cluster, phase: "Running" }) === 1 && s;
    });
    expect(m.get("machinelet_pods")?.type).toBe("GAUGE");
    expect(sampleValue(m, "machinelet_pods", { cluster: a.cluster, phase: "Running" })).toBe(1);
    expect(sampleValue(m, "machinelet_pods", { cluster: a.cluster, phase: "Failed" })).toBe(1);
    expect(sampleValue(m, "machinelet_pods", { cluster: a.cluster, phase: "Pending" })).toBe(0);
    expect(sampleValue(m, "machinelet_machines", { cluster: a.cluster })).toBe(1);
    expect(sampleValue(m, "machinelet_pods_with_problem", { cluster: a.cluster, reason: "Unsupported" })).toBe(1);
    expect(sampleValue(m, "machinelet_machines_api_requests_total", { cluster: a.cluster, action: "create_machine", code: "200" })).toBe(1);
    expect(sampleValue(m, "machinelet_intake_events_total", { cluster: a.cluster, kind: "Pod", outcome: "applied" })).toBe(2);
    expect(sampleValue(m, "machinelet_decisions_total", { cluster: a.cluster, action: "create", outcome: "done" })).toBe(1);
    expect(sampleValue(m, "machinelet_decisions_total", { cluster: a.cluster, action: "refuse", outcome: "refused" })).toBe(1);
    expect(sampleValue(m, "machinelet_status_feed_lag_seconds", { cluster: a.cluster })).toBeGreaterThanOrEqual(0);
    expect(m.get("machinelet_reconcile_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(m.get("machinelet_rate_budget_wait_seconds")?.type).toBe("HISTOGRAM");
  });

  it("counts reconcile passes and their repairs, and keeps counting across eviction", async () => {
    const { cluster } = newCluster("m");
    const p = pod({ name: "web" });
    await postEvents(cluster, [{ type: "ADDED", object: p }]);
    await podPhase(cluster, p.metadata.uid, "Running");
    await reconcileOk(cluster);
    const before = await scrapeText(`?cluster=${cluster}`);
    expect(before).toMatch(new RegExp(`machinelet_reconcile_duration_seconds_count\\{cluster="${cluster}"\\} [1-9]`));
    const passes = sampleValue(parseScrape(before), "machinelet_reconcile_passes_total", { cluster, result: "ok" })!;
    expect(passes).toBeGreaterThanOrEqual(1);

    await evictDurableObject(env.CLUSTER.getByName(cluster));
    await reconcileOk(cluster);
    const after = parseScrape(await scrapeText(`?cluster=${cluster}`));
    expect(sampleValue(after, "machinelet_reconcile_passes_total", { cluster, result: "ok" })).toBeGreaterThan(passes);
    expect(sampleValue(after, "machinelet_machines_api_requests_total", { cluster, action: "create_machine", code: "200" })).toBe(1);
  });

  it("names a bad cluster parameter", async () => {
    const res = await exports.default.fetch("http://worker/metrics?cluster=Not_A_Name", { headers: { authorization: "Bearer test-status-token" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ path: "cluster" });
  });
});
