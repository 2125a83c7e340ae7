/** Relay configuration from flags and environment: defaults, precedence, and errors that name the culprit. */
import { describe, expect, it } from "vitest";
import { optionsFromArgs, parseDuration, parseTaint, resolveRelayConfig } from "../../../src/relay/config";

const env = { RELAY_SECRET: "s3cret", RELAY_WORKER_URL: "https://w.example.com", RELAY_CLUSTER: "prod" };

describe("relay config", () => {
  it("fills defaults", () => {
    const c = resolveRelayConfig(optionsFromArgs([], env));
    expect(c).toMatchObject({
      workerUrl: "https://w.example.com",
      cluster: "prod",
      relaySecret: "s3cret",
      nodeName: "fks-prod",
      namespaces: [],
      nodeTaint: { key: "virtual-kubelet.io/provider", value: "fly", effect: "NoSchedule" },
      inCluster: false,
      leaseIntervalMs: 10_000,
      leaseDurationSeconds: 40,
      nodeStatusIntervalMs: 60_000,
      feedWaitSeconds: 25,
      nodePods: "10000",
      portForward: { kind: "off" },
    });
    expect(c.cursorFile).toBeUndefined();
  });

  it("reads every setting from env, flags winning", () => {
    const c = resolveRelayConfig(
      optionsFromArgs(["--node-name", "vk-1", "--lease-interval", "500ms", "--node-taint=none"], {
        ...env,
        RELAY_NODE_NAME: "ignored",
        RELAY_NAMESPACES: "a, b",
        RELAY_CURSOR_FILE: "/var/lib/relay/cursor",
        RELAY_FEED_WAIT: "5s",
        RELAY_WATCHDOG: "2m",
        RELAY_KUBECONFIG: "/etc/kube/config",
      }),
    );
    expect(c).toMatchObject({ nodeName: "vk-1", leaseIntervalMs: 500, nodeTaint: null, namespaces: ["a", "b"], cursorFile: "/var/lib/relay/cursor", feedWaitSeconds: 5, watchdogMs: 120_000, kubeconfigPath: "/etc/kube/config" });
  });

  it("uses the in-cluster config inside a pod unless a kubeconfig is given", () => {
    expect(optionsFromArgs([], { ...env, KUBERNETES_SERVICE_HOST: "10.43.0.1" }).inCluster).toBe(true);
    expect(optionsFromArgs(["--kubeconfig", "/k"], { ...env, KUBERNETES_SERVICE_HOST: "10.43.0.1" }).inCluster).toBeUndefined();
  });

  it("takes the secret from the environment only", () => {
    expect(() => optionsFromArgs(["--relay-secret", "x"], env)).toThrow(/RELAY_SECRET environment variable only/);
    expect(() => resolveRelayConfig(optionsFromArgs([], { ...env, RELAY_SECRET: "" }))).toThrow(/relaySecret: RELAY_SECRET must be set/);
  });

  it("names what is wrong", () => {
    expect(() => optionsFromArgs(["--lease-interval", "soon"], env)).toThrow(/--lease-interval: "soon" is not a duration/);
    expect(() => optionsFromArgs([], { ...env, RELAY_NODE_TAINT: "bad taint" })).toThrow(/RELAY_NODE_TAINT: "bad taint" is not a taint/);
    expect(() => optionsFromArgs(["--bogus", "1"], env)).toThrow(/bogus/);
    expect(() => resolveRelayConfig(optionsFromArgs([], { ...env, RELAY_CLUSTER: "Not_OK" }))).toThrow(/cluster: cluster must be/);
    expect(() => resolveRelayConfig(optionsFromArgs([], { ...env, RELAY_WORKER_URL: "ftp://x" }))).toThrow(/workerUrl/);
    expect(() => resolveRelayConfig(optionsFromArgs([], { ...env, RELAY_FEED_WAIT: "45s" }))).toThrow(/feedWaitSeconds/);
  });

  it("takes port-forward as off, 6pn or emulator:<url>, naming a bad value", () => {
    expect(resolveRelayConfig(optionsFromArgs(["--port-forward", "6pn"], env)).portForward).toEqual({ kind: "6pn" });
    expect(resolveRelayConfig(optionsFromArgs([], { ...env, RELAY_PORT_FORWARD: "emulator:http://127.0.0.1:4280/" })).portForward).toEqual({ kind: "emulator", url: "http://127.0.0.1:4280" });
    expect(() => resolveRelayConfig(optionsFromArgs([], { ...env, RELAY_PORT_FORWARD: "wireguard" }))).toThrow(/invalid relay configuration: portForward: expected off, 6pn or emulator:<url>, got "wireguard"$/);
  });

  it("parses durations and taints", () => {
    expect([parseDuration("10s"), parseDuration("250ms"), parseDuration("1.5m"), parseDuration("2")]).toEqual([10_000, 250, 90_000, 2000]);
    expect(parseTaint("k=v:NoExecute")).toEqual({ key: "k", value: "v", effect: "NoExecute" });
    expect(parseTaint("example.com/k:NoSchedule")).toEqual({ key: "example.com/k", effect: "NoSchedule" });
    expect(parseTaint("none")).toBeNull();
  });
});
