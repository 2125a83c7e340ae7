// The relay's kubelet API as the API server meets it: TLS client-certificate authentication, bearer
// tokens checked with the API server (TokenReview, SubjectAccessReview; here the K8s stand-in's),
// and a Kubernetes Status naming machinelet for everything it does not serve.
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { startK8sStandin, type K8sStandin } from "../../../src/k8s/standin/server";
import { createCertificate, createSelfSignedCert } from "../../../src/k8s/tls/x509";
import { KubeApi } from "../../../src/relay/kube-api";
import { KubeletAuth } from "../../../src/relay/kubelet/authn";
import { startKubeletServer, type KubeletServer } from "../../../src/relay/kubelet/server";
import { createLogger } from "../../../src/relay/log";
import { WorkerClient } from "../../../src/relay/worker-client";

const ca = await createCertificate({ commonName: "client-ca", usage: "ca" });
const apiserver = await createCertificate({ commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"], usage: "client", issuer: ca });
const stranger = await createCertificate({ commonName: "kube-apiserver-kubelet-client", usage: "client", issuer: await createCertificate({ commonName: "other-ca", usage: "ca" }) });
let kubelet: KubeletServer;
let apiserver2: K8sStandin;

const pod = { metadata: { name: "web", namespace: "default", uid: "u1" }, spec: { containers: [{ name: "main" }, { name: "sidecar" }] } };

beforeAll(async () => {
  apiserver2 = await startK8sStandin({ users: { "viewer-token": { username: "viewer", groups: ["viewers"] } } });
  const kc = new KubeConfig();
  kc.loadFromString(apiserver2.kubeconfig);
  const log = createLogger({ level: "error" });
  const serving = await createSelfSignedCert(["127.0.0.1"]);
  kubelet = await startKubeletServer({
    host: "127.0.0.1",
    port: 0,
    ...serving,
    clientCa: ca.cert,
    auth: new KubeletAuth({ api: new KubeApi(kc, 5_000), nodeName: "fks-test", log }),
    nodeName: "fks-test",
    worker: new WorkerClient("http://127.0.0.1:9", "test", "secret", 1000),
    log,
    cachedPod: (ns, name) => (ns === "default" && name === "web" ? pod : undefined),
    logPoll: { baseMs: 50, maxMs: 100 },
  });
});
afterAll(async () => {
  await kubelet?.close();
  await apiserver2?.close();
});

function call(path: string, opts: { cert?: { cert: string; key: string }; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port: kubelet.port, path, rejectUnauthorized: false, headers: opts.headers, ...(opts.cert ?? {}) }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text.startsWith("{") ? JSON.parse(text) : text }));
    });
    r.on("error", reject);
    r.end();
  });
}

describe("kubelet API authentication", () => {
  it("answers 401 without a client certificate or with one from another CA, even for upgrades", async () => {
    expect(await call("/containerLogs/default/web/main")).toMatchObject({ status: 401, body: { kind: "Status", reason: "Unauthorized" } });
    expect((await call("/containerLogs/default/web/main", { cert: stranger })).status).toBe(401);
    const upgrade = await call("/exec/default/web/main?command=true&stdout=1", { headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" } });
    expect(upgrade.status).toBe(401);
    expect((await call("/healthz", { cert: apiserver })).body).toBe("ok");
  });

  it("takes a bearer token the API server's TokenReview vouches for, when a SubjectAccessReview allows nodes/proxy", async () => {
    const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    expect((await call("/healthz", bearer(apiserver2.token))).body).toBe("ok");
    expect((await call("/containerLogs/default/gone/main", bearer(apiserver2.token))).body.message).toBe("machinelet: pod default/gone is not running on this node");
    expect(await call("/containerLogs/default/web/main", bearer("not-a-token"))).toMatchObject({ status: 401, body: { reason: "Unauthorized" } });
    expect(await call("/containerLogs/default/web/main", bearer("viewer-token"))).toMatchObject({
      status: 403,
      body: { reason: "Forbidden", message: "Forbidden (user=viewer, verb=get, resource=nodes, subresource(s)=[proxy])" },
    });
    const upgrade = await call("/exec/default/web/main?command=true&stdout=1", { headers: { Authorization: "Bearer viewer-token", Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" } });
    expect(upgrade.status).toBe(403);
  });
});

describe("what the kubelet API does not serve", () => {
  it("names machinelet and the limit in a Status, never a bare NotFound", async () => {
    const pods = await call("/pods", { cert: apiserver });
    expect(pods).toMatchObject({ status: 404, body: { kind: "Status", status: "Failure" } });
    expect(pods.body.message).toMatch(/^machinelet: the kubelet API of virtual node fks-test serves containerLogs, exec and portforward/);
    expect((await call("/containerLogs/default/gone/main", { cert: apiserver })).body.message).toBe("machinelet: pod default/gone is not running on this node");
    expect((await call("/containerLogs/default/web/db", { cert: apiserver })).body.message).toBe("container db is not valid for pod web");
    expect((await call("/containerLogs/default/web/main?previous=true", { cert: apiserver })).body.message).toMatch(/^machinelet: logs of a previous container instance are not available/);
    expect((await call("/attach/default/web/main?stdout=1", { cert: apiserver })).body).toMatchObject({ code: 501, message: expect.stringMatching(/^machinelet: attach is not available/) });
    expect((await call("/exec/default/web/main?command=true&stdout=1", { cert: apiserver })).body.message).toMatch(/needs an upgrade/);
    const tty = await call("/exec/default/web/main?command=sh&stdin=1&stdout=1&tty=1", { cert: apiserver, headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" } });
    expect(tty).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^machinelet: interactive exec/) } });
  });
});
