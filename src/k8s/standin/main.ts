/**
 * CLI for the K8s stand-in (staging and tests only; see server.ts):
 *   npx tsx src/k8s/standin/main.ts
 * Environment: MACHINELET_K8S_PORT (default 6443), MACHINELET_K8S_KUBECONFIG (default
 * .staging/kubeconfig), MACHINELET_K8S_TOKEN (default random).
 */
import { startK8sStandin } from "./server";

function portFromEnv(): number {
  const raw = process.env.MACHINELET_K8S_PORT ?? "6443";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`MACHINELET_K8S_PORT must be a port number, got "${raw}"`);
  return port;
}

const standin = await startK8sStandin({
  port: portFromEnv(),
  kubeconfigPath: process.env.MACHINELET_K8S_KUBECONFIG ?? ".staging/kubeconfig",
  ...(process.env.MACHINELET_K8S_TOKEN ? { token: process.env.MACHINELET_K8S_TOKEN } : {}),
});
console.log(`k8s stand-in listening on ${standin.url} (kubeconfig ${standin.kubeconfigPath ?? "not written"})`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  void standin.close().then(() => process.exit(0));
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
