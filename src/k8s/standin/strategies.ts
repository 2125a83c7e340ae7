/**
 * Write rules for every kind the K8s stand-in (staging and tests only) serves, after the matching
 * pkg/registry/<group>/<kind>/strategy.go: one module per family of kinds.
 */
import { webhookConfigurationStrategy } from "./admission/webhook-configuration-strategy";
import { eventStrategy, leaseStrategy, namespaceStrategy, nodeStrategy } from "./cluster-strategies";
import { configMapStrategy, secretStrategy } from "./config-strategies";
import { podStrategy } from "./pod-strategy";
import { pvcStrategy } from "./pvc-strategy";
import type { ResourceType } from "./resources";
import { serviceStrategy } from "./service-strategy";
import type { Strategy } from "./strategy";
import { deploymentStrategy, jobStrategy, plainStrategy, replicaSetStrategy, statefulSetStrategy } from "./workload-strategies";

const STRATEGIES: Readonly<Record<string, Strategy>> = {
  Namespace: namespaceStrategy,
  Pod: podStrategy,
  Service: serviceStrategy,
  Secret: secretStrategy,
  ConfigMap: configMapStrategy,
  PersistentVolumeClaim: pvcStrategy,
  Node: nodeStrategy,
  Lease: leaseStrategy,
  Event: eventStrategy,
  Deployment: deploymentStrategy,
  ReplicaSet: replicaSetStrategy,
  StatefulSet: statefulSetStrategy,
  Job: jobStrategy,
  Endpoints: plainStrategy,
  EndpointSlice: plainStrategy,
  ValidatingWebhookConfiguration: webhookConfigurationStrategy,
  MutatingWebhookConfiguration: webhookConfigurationStrategy,
};

export function strategyFor(rt: ResourceType): Strategy {
  const strategy = STRATEGIES[rt.kind];
  if (!strategy) throw new Error(`the K8s stand-in has no write rules for kind ${rt.kind}`);
  return strategy;
}
