/**
 * The core/v1 defaulters for a container's probes (pkg/apis/core/v1/defaults.go: SetDefaults_Probe,
 * SetDefaults_HTTPGetAction, SetDefaults_GRPCAction), so `kubectl describe` shows what the
 * API server would store: `delay=0s timeout=1s period=10s #success=1 #failure=3`.
 */
import { isJsonObject, type JsonObject } from "./k8s-object";

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;

export function defaultProbes(container: JsonObject): void {
  for (const key of PROBES) {
    const probe = container[key];
    if (!isJsonObject(probe)) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (isJsonObject(probe.httpGet)) {
      probe.httpGet.path ??= "/";
      probe.httpGet.scheme ??= "HTTP";
    }
    if (isJsonObject(probe.grpc)) probe.grpc.service ??= "";
  }
}
