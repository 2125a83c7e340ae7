import { Resolver } from "node:dns/promises";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClusterDns, type ClusterDns } from "../../../src/dns/cluster-dns";
import { startK8sStandin, type K8sStandin } from "../../../src/k8s/standin/server";
import { raw } from "../k8s-standin/fixture";
import { memoryLog, waitFor } from "../relay/helpers";

let standin: K8sStandin;
let dns: ClusterDns;
let dir: string;
const resolver = new Resolver({ timeout: 1000, tries: 1 });
const addresses = (name: string) => resolver.resolve6(name).then((a) => a.sort(), (e: NodeJS.ErrnoException) => e.code);

async function create(path: string, body: unknown) {
  const res = await raw(standin, "POST", path, { body });
  expect(res.status, res.body).toBe(201);
  return res.json();
}

async function setReady(name: string, ip: string, ready: boolean) {
  const pod = (await raw(standin, "GET", `/api/v1/namespaces/default/pods/${name}`)).json();
  const status = { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False" }] };
  const res = await raw(standin, "PUT", `/api/v1/namespaces/default/pods/${name}/status`, { body: { ...pod, status } });
  expect(res.status, res.body).toBe(200);
}

const pod = (name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels },
  spec: { containers: [{ name: "c", image: "nginx" }], ...spec },
});

beforeAll(async () => {
  standin = await startK8sStandin({ port: 0 });
  dir = await mkdtemp(join(tmpdir(), "kube-dns-"));
  await writeFile(join(dir, "kubeconfig"), standin.kubeconfig);
  // Other names go to a resolver that is not there: they fail, which is all this test needs of them.
  dns = await startClusterDns({ kubeconfigPath: join(dir, "kubeconfig"), host: "127.0.0.1", port: 0, upstream: { host: "127.0.0.1", port: 9 }, log: memoryLog().log });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
  await waitFor("dns informers synced", () => dns.source.synced);
});
afterAll(async () => {
  await dns?.close();
  await standin?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("cluster DNS fed by the API server", () => {
  it("follows Services, their Fly address annotation, and pods' readiness without a restart", async () => {
    await create("/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", annotations: { "machinelet.fly.io/address": "fdaa:0:1:0:1::7" } },
      spec: { selector: { app: "web" }, ports: [{ port: 80 }] },
    });
    expect(await waitFor("web resolves", async () => ((await addresses("web")) as string[])[0] === "fdaa:0:1:0:1::7" && "ok")).toBe("ok");
    expect(await addresses("web.default.svc.cluster.local")).toEqual(["fdaa:0:1:0:1::7"]);

    await create("/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "db" },
      spec: { clusterIP: "None", selector: { app: "db" }, ports: [{ port: 5432 }] },
    });
    await create("/api/v1/namespaces/default/pods", pod("db-0", { app: "db" }, { hostname: "db-0", subdomain: "db" }));
    await create("/api/v1/namespaces/default/pods", pod("db-1", { app: "db" }, { hostname: "db-1", subdomain: "db" }));
    await setReady("db-0", "fdaa:0:1:a7b:1::2", true);
    await setReady("db-1", "fdaa:0:1:a7b:2::2", false);
    await waitFor("only db-0 ready", async () => JSON.stringify(await addresses("db.default.svc.cluster.local")) === JSON.stringify(["fdaa:0:1:a7b:1::2"]));
    await setReady("db-1", "fdaa:0:1:a7b:2::2", true);
    await waitFor("both ready", async () => ((await addresses("db")) as string[]).length === 2);
    expect(await addresses("db-1.db.default.svc.cluster.local")).toEqual(["fdaa:0:1:a7b:2::2"]);

    await raw(standin, "DELETE", "/api/v1/namespaces/default/services/web");
    await waitFor("web gone", async () => (await addresses("web.default.svc.cluster.local")) === "ENOTFOUND");
  });
});
