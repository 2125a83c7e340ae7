import type { ClusterDns } from "./pod-dns";

/** The data of a ConfigMap (a stored ConfigMap object fits). */
export interface ConfigMapData {
  data?: Record<string, string> | null;
  /** base64 values */
  binaryData?: Record<string, string> | null;
}

/** The Fly app secrets that hold one key of a Kubernetes Secret. */
export interface AppSecretNames {
  /** holds the decoded value; used for environment variables */
  env: string;
  /** holds the value base64-encoded, as `files[].secret_name` requires */
  file: string;
}

/**
 * What a pod translation may know besides the pod. Every lookup is optional and synchronous, so
 * the translation stays a pure function of its inputs; a field that needs a missing lookup is
 * reported unsupported, a lookup that finds nothing is an error (unless the reference is `optional`).
 */
export interface TranslateContext {
  /** the machinelet cluster name, written to `metadata.machinelet_cluster` */
  cluster: string;
  /** where pods find the cluster DNS; without it `ClusterFirst` pods resolve like `Default` */
  clusterDns?: ClusterDns;
  configMap?: (namespace: string, name: string) => ConfigMapData | undefined;
  /** key -> Fly app secret names for Secret `namespace/name`, or undefined when it does not exist */
  secret?: (namespace: string, name: string) => Record<string, AppSecretNames> | undefined;
  /** the Fly Volume id bound to PersistentVolumeClaim `namespace/claimName`, or undefined when there is none yet */
  volume?: (namespace: string, claimName: string) => string | undefined;
}
