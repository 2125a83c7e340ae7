// The stand-in as a process and a server: its CLI, its kubeconfig, its certificate, and shutdown.
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { createSelfSignedCert } from "../../../src/k8s/tls/x509";
import { startK8sStandin } from "../../../src/k8s/standin/server";
import { raw } from "./fixture";

describe("self-signed certificate", () => {
  it("is a CA certificate for the given loopback names, signed by its own key", async () => {
    const { cert } = await createSelfSignedCert(["127.0.0.1", "localhost"]);
    const x509 = new X509Certificate(cert);
    expect(x509.ca).toBe(true);
    expect(x509.subjectAltName).toBe("IP Address:127.0.0.1, DNS:localhost");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(Date.parse(x509.validTo)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  });
});

describe("server", () => {
  it("writes a kubeconfig with its URL, CA and token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "k8s-standin-"));
    const standin = await startK8sStandin({ port: 0, token: "t0ken", kubeconfigPath: join(dir, "nested", "kubeconfig") });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(join(dir, "nested", "kubeconfig"));
      expect(kc.getCurrentCluster()?.server).toBe(standin.url);
      expect(Buffer.from(kc.getCurrentCluster()?.caData ?? "", "base64").toString()).toBe(standin.ca);
      expect(kc.getCurrentUser()?.token).toBe("t0ken");
      expect((await raw(standin, "GET", "/api/v1/namespaces", { token: "t0ken" })).status).toBe(200);
    } finally {
      await standin.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("closes with watches open and a client stuck before its TLS handshake", async () => {
    const standin = await startK8sStandin({ port: 0 });
    const watch = raw(standin, "GET", "/api/v1/pods?watch=true");
    const idle = connect(standin.port, "127.0.0.1");
    await new Promise((resolve) => idle.once("connect", resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await standin.close();
    expect((await watch).status).toBe(200);
    idle.destroy();
  });
});

describe("CLI", () => {
  it("prints where it listens, writes the kubeconfig, and exits cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "k8s-standin-cli-"));
    const kubeconfigPath = join(dir, "kubeconfig");
    const child = spawn(process.execPath, ["--import", "tsx", "src/k8s/standin/main.ts"], {
      env: { ...process.env, MACHINELET_K8S_PORT: "0", MACHINELET_K8S_KUBECONFIG: kubeconfigPath, MACHINELET_K8S_TOKEN: "cli-token" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`the CLI exited with ${code} before listening`)));
      });
      const match = /^k8s stand-in listening on (https:\/\/127\.0\.0\.1:(\d+)) \(kubeconfig (.+)\)$/.exec(line);
      expect(match?.[3]).toBe(kubeconfigPath);
      const kubeconfig = await readFile(kubeconfigPath, "utf8");
      expect(kubeconfig).toContain(`server: ${match?.[1]}`);
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
