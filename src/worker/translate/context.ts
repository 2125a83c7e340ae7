import type { Service } from "../../shared/k8s";
import type { ClusterDns } from "./pod-dns";
import type { AppPortOf } from "./service-backends";

/** The data of a ConfigMap (a stored ConfigMap object fits). */
export interface ConfigMapData {
  data?: Record<string, string> | null;
  /** base64 values */
  binaryData?: Record<string, string> | null;
}

/**
 * The keys of a Kubernetes Secret, each with the Fly app secrets version from which its app secrets
 * (`secretKeyToFlySecretNames`) hold its current value, or undefined while they are not written yet.
 */
export type SecretKeys = Readonly<Record<string, number | undefined>>;

/** The Fly Volume bound to a PersistentVolumeClaim. */
export interface ClaimVolume {
  id: string;
  region: string;
  /** the claim is being deleted (`deletionTimestamp`, held by a finalizer such as pvc-protection) */
  deleting?: boolean;
}

/**
 * What a pod translation may know besides the pod. Every lookup is optional and synchronous, so
 * the translation stays a pure function of its inputs. Without a lookup, a field that needs it is
 * reported unsupported; a lookup that finds nothing makes the pod wait (unless the reference is
 * `optional`), as the kubelet waits for a missing Secret, ConfigMap or claim.
 */
export interface TranslateContext {
  /** the machinelet cluster name, written to `metadata.machinelet_cluster` */
  cluster: string;
  /** where pods find the cluster DNS; without it `ClusterFirst` pods resolve like `Default` */
  clusterDns?: ClusterDns;
  /** the Services of a namespace, with `appPort`: the pod's machine gets `services` entries for those that select it */
  services?: (namespace: string) => Service[];
  appPort?: AppPortOf;
  /**
   * An addressed Service's Fly address (`pending` while it has none yet), undefined for a Service
   * that gets none: what the Service environment variables carry.
   */
  serviceAddress?: (service: Service) => string | "pending" | undefined;
  configMap?: (namespace: string, name: string) => ConfigMapData | undefined;
  /** why the worker holds Secret or ConfigMap `namespace/name` without its data (too large), if it does */
  oversized?: (kind: "Secret" | "ConfigMap", namespace: string, name: string) => string | undefined;
  /** Secret `namespace/name`'s keys, or undefined when it does not exist */
  secret?: (namespace: string, name: string) => SecretKeys | undefined;
  /** the Fly Volume bound to PersistentVolumeClaim `namespace/claimName`, or undefined when there is none yet */
  volume?: (namespace: string, claimName: string) => ClaimVolume | undefined;
}
