/**
 * Server-side printing of the workload kinds and Endpoints for the K8s stand-in (staging and tests
 * only), columns as pkg/printers/internalversion prints them.
 */
import type { JsonObject, K8sObject } from "./k8s-object";
import { isJsonObject } from "./k8s-object";
import { selectorString } from "./label-selector";
import type { Column } from "./table-columns";
import { AGE, NAME, humanDuration } from "./table-columns";

const section = (obj: K8sObject, key: string): JsonObject => (isJsonObject(obj[key]) ? (obj[key] as JsonObject) : {});
const count = (obj: K8sObject, key: string, field: string): number => Number(section(obj, key)[field] ?? 0);

function column(name: string, cell: Column["cell"], priority: 0 | 1 = 0, type: Column["type"] = "string"): Column {
  return { name, type, description: name, priority, cell };
}

function containersColumns(): Column[] {
  const containers = (o: K8sObject): JsonObject[] => {
    const template = section(o, "spec").template;
    const spec = isJsonObject(template) && isJsonObject(template.spec) ? template.spec : {};
    return Array.isArray(spec.containers) ? spec.containers.filter(isJsonObject) : [];
  };
  return [
    column("Containers", (o) => containers(o).map((c) => String(c.name)).join(","), 1),
    column("Images", (o) => containers(o).map((c) => String(c.image)).join(","), 1),
    column("Selector", (o) => selectorString(section(o, "spec").selector) || "<none>", 1),
  ];
}

const ready = (o: K8sObject): string => `${count(o, "status", "readyReplicas")}/${count(o, "spec", "replicas")}`;

function jobStatus(job: K8sObject): string {
  const conditions = Array.isArray(section(job, "status").conditions) ? (section(job, "status").conditions as unknown[]).filter(isJsonObject) : [];
  const holds = (type: string): boolean => conditions.some((c) => c.type === type && c.status === "True");
  if (holds("Failed")) return "Failed";
  if (holds("Complete")) return "Complete";
  if (holds("Suspended")) return "Suspended";
  if (holds("FailureTarget")) return "FailureTarget";
  if (holds("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

function jobDuration(job: K8sObject, now: Date): string {
  const status = section(job, "status");
  if (typeof status.startTime !== "string") return "";
  const end = typeof status.completionTime === "string" ? Date.parse(status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(status.startTime));
}

function endpointsText(ep: K8sObject): string {
  const subsets = Array.isArray(ep.subsets) ? ep.subsets.filter(isJsonObject) : [];
  const pairs: string[] = [];
  for (const subset of subsets) {
    const addresses = Array.isArray(subset.addresses) ? subset.addresses.filter(isJsonObject) : [];
    const ports = Array.isArray(subset.ports) ? subset.ports.filter(isJsonObject) : [];
    for (const address of addresses) {
      const ip = String(address.ip).includes(":") ? `[${String(address.ip)}]` : String(address.ip);
      if (ports.length === 0) pairs.push(String(address.ip));
      for (const port of ports) pairs.push(`${ip}:${String(port.port)}`);
    }
  }
  if (pairs.length === 0) return "<none>";
  return pairs.length > 3 ? `${pairs.slice(0, 3).join(",")} + ${pairs.length - 3} more...` : pairs.join(",");
}

export const WORKLOAD_COLUMNS: Readonly<Record<string, Column[]>> = {
  Deployment: [
    NAME,
    column("Ready", ready),
    column("Up-to-date", (o) => count(o, "status", "updatedReplicas"), 0, "integer"),
    column("Available", (o) => count(o, "status", "availableReplicas"), 0, "integer"),
    AGE,
    ...containersColumns(),
  ],
  ReplicaSet: [
    NAME,
    column("Desired", (o) => count(o, "spec", "replicas"), 0, "integer"),
    column("Current", (o) => count(o, "status", "replicas"), 0, "integer"),
    column("Ready", (o) => count(o, "status", "readyReplicas"), 0, "integer"),
    AGE,
    ...containersColumns(),
  ],
  StatefulSet: [NAME, column("Ready", ready), AGE, ...containersColumns().slice(0, 2)],
  Job: [
    NAME,
    column("Status", jobStatus),
    column("Completions", (o) => `${count(o, "status", "succeeded")}/${section(o, "spec").completions ?? "1"}`),
    column("Duration", jobDuration),
    AGE,
    ...containersColumns(),
  ],
  Endpoints: [NAME, column("Endpoints", endpointsText), AGE],
};
