/**
 * The kubeconfig the K8s stand-in (staging and tests only) hands out: one cluster (its HTTPS URL and
 * self-signed CA), one user (its bearer token), one context, made current.
 */
import { stringify } from "yaml";

const KUBECONFIG_NAME = "machinelet-standin";

export function kubeconfigFor(server: string, caPem: string, token: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: KUBECONFIG_NAME, cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: KUBECONFIG_NAME, user: { token } }],
    contexts: [{ name: KUBECONFIG_NAME, context: { cluster: KUBECONFIG_NAME, user: KUBECONFIG_NAME, namespace: "default" } }],
    "current-context": KUBECONFIG_NAME,
    preferences: {},
  });
}
