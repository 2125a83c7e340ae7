/**
 * The OpenAPI v3 documents of the K8s stand-in (staging and tests only), cut down to what kubectl
 * reads: `kubectl apply/create` validate (--validate=strict by default) by checking that each kind's
 * PATCH operation accepts the `fieldValidation` query parameter (resource.QueryParamVerifierV3);
 * finding it, kubectl leaves validation to the server instead of downloading schemas. No component
 * schemas are served, so `kubectl apply` computes strategic merge patches from its compiled-in types,
 * which is exact for the built-in kinds served here. /openapi/v2 is not served.
 */
import { createHash } from "node:crypto";
import { KUBERNETES_VERSION } from "./discovery";
import type { ResourceType } from "./resources";
import { RESOURCES } from "./resources";

function groupVersionPath(rt: ResourceType): string {
  return rt.group ? `apis/${rt.group}/${rt.version}` : `api/${rt.version}`;
}

const QUERY_PARAMETERS = ["dryRun", "fieldManager", "fieldValidation", "force"].map((name) => ({
  name,
  in: "query",
  schema: { type: name === "force" ? "boolean" : "string" },
}));

function itemPath(rt: ResourceType): string {
  return `/${groupVersionPath(rt)}/${rt.namespaced ? "namespaces/{namespace}/" : ""}${rt.resource}/{name}`;
}

function operation(rt: ResourceType, action: string): unknown {
  return {
    operationId: `${action}${rt.namespaced ? "Namespaced" : ""}${rt.kind}`,
    parameters: QUERY_PARAMETERS,
    responses: { "200": { description: "OK" } },
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": { group: rt.group, version: rt.version, kind: rt.kind },
  };
}

/** The document for one group version (`api/v1`, `apis/coordination.k8s.io/v1`), or undefined. */
export function openApiV3Document(groupVersion: string): unknown {
  const served = RESOURCES.filter((rt) => groupVersionPath(rt) === groupVersion);
  if (served.length === 0) return undefined;
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: KUBERNETES_VERSION.gitVersion },
    paths: Object.fromEntries(served.map((rt) => [itemPath(rt), { patch: operation(rt, "patch"), put: operation(rt, "put") }])),
    components: { schemas: {} },
  };
}

/** The index at /openapi/v3: one entry per served group version, with a content hash as real servers give. */
export function openApiV3Index(): unknown {
  const groupVersions = [...new Set(RESOURCES.map(groupVersionPath))];
  return {
    paths: Object.fromEntries(
      groupVersions.map((gv) => {
        const hash = createHash("sha512").update(JSON.stringify(openApiV3Document(gv))).digest("hex").toUpperCase();
        return [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` }];
      }),
    ),
  };
}
