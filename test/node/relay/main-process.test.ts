/**
 * src/relay/main.ts as a process: configured by environment and flags, it joins the stand-in as
 * the virtual node, logs JSON lines without the secret, and stops cleanly on SIGTERM.
 */
import { spawn } from "node:child_process";
import { afterEach, expect, it } from "vitest";
import { CLUSTER, harness, NODE, SECRET, waitFor, type Harness } from "./helpers";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
});

it("runs from env and flags and exits 0 on SIGTERM", async () => {
  h = await harness();
  const child = spawn(process.execPath, ["--import", "tsx", "src/relay/main.ts", "--node-name", NODE, "--lease-interval", "200ms", "--feed-wait", "1s"], {
    env: { PATH: process.env.PATH, RELAY_SECRET: SECRET, RELAY_WORKER_URL: h.worker.url, RELAY_CLUSTER: CLUSTER, RELAY_KUBECONFIG: h.kubeconfigPath, RELAY_NODE_ADDRESS: "127.0.0.1", RELAY_METRICS_PORT: "0", RELAY_METRICS_HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await waitFor("snapshot from the relay process", () => h!.worker.snapshots.length > 0, 15_000);
    await waitFor("node registered", () => h!.kube.request("GET", `/api/v1/nodes/${NODE}`));
  } finally {
    child.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
  const lines = out.trim().split("\n").map((l) => JSON.parse(l) as { msg: string });
  expect(lines.map((l) => l.msg)).toContain("relay stopped");
  expect(out).not.toContain(SECRET);
}, 30_000);
