/**
 * The informer's watchdog restarts an informer nothing has come from for too long; a list of many
 * pages, each in time, is not silence however long the whole takes (against the K8s stand-in).
 */
import { afterEach, expect, it } from "vitest";
import type { WatchEvent } from "../../../src/relay/event-queue";
import { ResourceInformer } from "../../../src/relay/informers";
import { KubeApi, type KubeRequest } from "../../../src/relay/kube-api";
import { harness, memoryLog, waitFor, type Harness } from "./helpers";

/** The API with every list page answered 80 ms late. */
class SlowPages extends KubeApi {
  override async request<T = unknown>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, req: KubeRequest = {}): Promise<T> {
    if (method === "GET" && path.includes("limit=")) await new Promise((r) => setTimeout(r, 80));
    return super.request<T>(method, path, req);
  }
}

let h: Harness | undefined;
let informer: ResourceInformer | undefined;
afterEach(async () => {
  await informer?.stop();
  await h?.close();
});

it("lists 10 pages of 80 ms each under a 250 ms watchdog without restarting, and syncs", async () => {
  h = await harness();
  for (let i = 0; i < 10; i++) await h.kube.request("POST", "/api/v1/namespaces/default/secrets", { body: { metadata: { name: `s${i}` }, data: { k: "dg==" } } });
  const events: WatchEvent[] = [];
  const { log, lines } = memoryLog();
  informer = new ResourceInformer({
    api: new SlowPages(h.kube.kubeConfig, 5_000),
    log,
    resource: { kind: "Secret", plural: "secrets", snapshotKey: "secrets" },
    watchTimeoutSeconds: 30,
    watchdogMs: 250,
    listPageSize: 1,
    backoff: { baseMs: 50, maxMs: 400 },
    onEvent: (ev) => events.push(ev),
    onListed: () => {},
  });
  informer.start();
  await waitFor("the informer synced", () => informer!.synced, 8_000);
  expect(events.filter((e) => e.type === "ADDED").length).toBeGreaterThanOrEqual(10);
  expect(lines.filter((l) => l.includes("informer silent"))).toEqual([]);
});
