/**
 * What staging sets up in its (stand-in) cluster, as an operator would on a real one: the `default`
 * namespace's pods tolerate the virtual node's taint (PodTolerationRestriction's namespace
 * annotation), and machinelet's validating webhooks from deploy/admission.yaml are registered, their
 * URL pointing at the worker through a TLS front (webhooks are called over HTTPS only).
 */
import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { DEFAULT_TAINT } from "../relay/config";
import { KubeApi } from "../relay/kube-api";
import { startTlsFront } from "./tls-front";

const ADMISSION_MANIFEST = new URL("../../deploy/admission.yaml", import.meta.url);
const EXAMPLE_URL = "https://machinelet.example.workers.dev";

export interface StagingCluster {
  /** The webhook's URL as registered. */
  admissionUrl: string;
  close(): Promise<void>;
}

/** The configurations of deploy/admission.yaml with the worker's address, the cluster's name and the TLS front's CA filled in. */
export function admissionConfigsFor(manifest: string, baseUrl: string, cluster: string, ca: string): Array<Record<string, unknown>> {
  const filled = manifest.replaceAll(EXAMPLE_URL, baseUrl).replaceAll("<cluster>", cluster);
  return parseAllDocuments(filled).map((doc) => {
    const config = doc.toJS() as { webhooks: Array<{ clientConfig: Record<string, unknown> }> };
    for (const webhook of config.webhooks) webhook.clientConfig.caBundle = Buffer.from(ca).toString("base64");
    return config;
  });
}

export async function prepareStagingCluster(kubeconfig: string, opts: { workerUrl: string; cluster: string; namespace: string }): Promise<StagingCluster> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  const api = new KubeApi(kc, 10_000);
  const toleration = { key: DEFAULT_TAINT.key, operator: "Exists", effect: DEFAULT_TAINT.effect };
  await api.request("PATCH", `/api/v1/namespaces/${opts.namespace}`, {
    body: { metadata: { annotations: { "scheduler.alpha.kubernetes.io/defaultTolerations": JSON.stringify([toleration]) } } },
    contentType: "application/merge-patch+json",
  });
  const front = await startTlsFront(opts.workerUrl);
  try {
    for (const config of admissionConfigsFor(readFileSync(ADMISSION_MANIFEST, "utf8"), front.url, opts.cluster, front.ca)) {
      await api.request("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", { body: config });
    }
  } catch (err) {
    await front.close();
    throw err;
  }
  return { admissionUrl: `${front.url}/v1/clusters/${opts.cluster}/admission`, close: () => front.close() };
}
