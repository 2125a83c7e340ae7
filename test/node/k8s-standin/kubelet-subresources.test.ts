// What the stand-in does, as kube-apiserver does, for probes and the kubelet's pod subresources
// (the proxying itself is driven with the real kubectl in test/node/e2e/kubectl-pod-io.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Fixture } from "./fixture";
import { raw, startFixture } from "./fixture";

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f.standin.close();
});

describe("probe defaults", () => {
  it("fill timeout, period and thresholds (and httpGet path and scheme) as the API server's defaulter", async () => {
    const res = await raw(f.standin, "POST", "/api/v1/namespaces/default/pods", {
      body: { metadata: { name: "probed" }, spec: { containers: [{ name: "main", image: "nginx", readinessProbe: { httpGet: { port: 80 } }, livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 } }] } },
    });
    const c = res.json().spec.containers[0];
    expect(c.readinessProbe).toEqual({ httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.livenessProbe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 });
  });
});

describe("pods/log, exec, attach, portforward", () => {
  it("are in discovery with kube-apiserver's kinds and verbs", async () => {
    const resources = (await raw(f.standin, "GET", "/api/v1")).json().resources as Array<{ name: string; kind: string; verbs: string[] }>;
    expect(resources.find((r) => r.name === "pods/log")).toMatchObject({ kind: "Pod", verbs: ["get"] });
    expect(resources.find((r) => r.name === "pods/exec")).toMatchObject({ kind: "PodExecOptions", verbs: ["create", "get"] });
    expect(resources.find((r) => r.name === "pods/portforward")).toMatchObject({ kind: "PodPortForwardOptions" });
  });

  it("answer as the API server does before reaching a kubelet: no logs yet, bad container, no token", async () => {
    await raw(f.standin, "POST", "/api/v1/namespaces/default/pods", { body: { metadata: { name: "two" }, spec: { schedulerName: "none", containers: [{ name: "a", image: "x" }, { name: "b", image: "x" }] } } });
    const unbound = await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/two/log?container=a");
    expect(unbound).toMatchObject({ status: 200, body: "" });
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/two/log")).json().message).toBe("a container name must be specified for pod two, choose one of: [a b]");
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/two/log?container=c")).json().message).toBe("container c is not valid for pod two");
    expect((await raw(f.standin, "GET", "/api/v1/namespaces/default/pods/two/log?container=a", { token: "wrong" })).status).toBe(401);
  });
});
