/**
 * Who a request to the K8s stand-in is (staging and tests only), and the two review APIs that let
 * a kubelet ask the same (kube-apiserver's pkg/registry/authentication/tokenreview and
 * pkg/registry/authorization/subjectaccessreview). Tokens are static, as with --token-auth-file:
 * the stand-in's own token is the admin (`system:masters`); more may be configured. There is no
 * RBAC policy, so only `system:masters` is authorized (kube-apiserver's privileged-group
 * authorizer); every other user is authenticated and forbidden.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, badRequest, invalidValue, methodNotAllowed, required, type FieldError } from "./api-errors";
import { readDocument, sendJson } from "./http-io";
import { isJsonObject } from "./k8s-object";

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
}

/** The user a static token stands for (as a line of --token-auth-file: token,user,uid,"group1,group2"). */
export type StaticTokens = ReadonlyMap<string, UserInfo>;

/** The admin user of the stand-in's own token. */
export const ADMIN: UserInfo = { username: "admin", uid: "admin", groups: ["system:masters"] };
/** What the API server accepts as the audience of its own tokens (kube-apiserver's --api-audiences default). */
export const API_AUDIENCES = ["https://kubernetes.default.svc.cluster.local"];

const SUPERUSER_GROUP = "system:masters";

/** The authenticated user with `system:authenticated` added, as the API server adds it; undefined when the bearer token is unknown. */
export function authenticate(req: IncomingMessage, tokens: StaticTokens): UserInfo | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  return match?.[1] ? userOfToken(match[1].trim(), tokens) : undefined;
}

function userOfToken(token: string, tokens: StaticTokens): UserInfo | undefined {
  const given = Buffer.from(token);
  let found: UserInfo | undefined;
  for (const [known, user] of tokens) {
    const expected = Buffer.from(known);
    if (given.length === expected.length && timingSafeEqual(given, expected)) found = user;
  }
  return found && { ...found, groups: [...new Set([...(found.groups ?? []), "system:authenticated"])] };
}

export const isSuperuser = (user: UserInfo): boolean => (user.groups ?? []).includes(SUPERUSER_GROUP);

/** The 403 for an authenticated user without permission, worded as the API server's for a non-resource path. */
export function forbiddenFor(user: UserInfo, method: string, path: string): ApiError {
  return new ApiError(403, "Forbidden", `forbidden: User "${user.username}" cannot ${method.toLowerCase()} path "${path}"`, {});
}

const REVIEWS = {
  "authentication.k8s.io/v1/tokenreviews": "TokenReview",
  "authorization.k8s.io/v1/subjectaccessreviews": "SubjectAccessReview",
} as const;

/** `/apis/<group>/<version>/<resource>` of a review API, or undefined. */
export function reviewOf(segments: readonly string[]): keyof typeof REVIEWS | undefined {
  const key = segments.slice(1).join("/");
  return segments[0] === "apis" && key in REVIEWS ? (key as keyof typeof REVIEWS) : undefined;
}

/** Creates a review: answered, never stored (201, the review with its status). */
export async function serveReview(review: keyof typeof REVIEWS, req: IncomingMessage, res: ServerResponse, tokens: StaticTokens): Promise<void> {
  if (req.method !== "POST") throw methodNotAllowed(req.method ?? "");
  const kind = REVIEWS[review];
  const body = await readDocument(req);
  if (!isJsonObject(body) || body.kind !== kind || !isJsonObject(body.spec)) throw badRequest(`a ${kind} body must be a ${kind} with a spec`);
  const apiVersion = review.split("/").slice(0, 2).join("/");
  const spec = body.spec;
  const status = kind === "TokenReview" ? tokenReviewStatus(spec, tokens) : subjectAccessReviewStatus(spec);
  sendJson(res, 201, { kind, apiVersion, metadata: { creationTimestamp: null }, spec, status });
}

function tokenReviewStatus(spec: Record<string, unknown>, tokens: StaticTokens): unknown {
  if (typeof spec.token !== "string" || spec.token === "") throw badRequest("token is required for TokenReview in authentication");
  const wanted = Array.isArray(spec.audiences) ? spec.audiences.filter((a): a is string => typeof a === "string") : [];
  const audiences = wanted.length ? API_AUDIENCES.filter((a) => wanted.includes(a)) : API_AUDIENCES;
  const user = userOfToken(spec.token, tokens);
  if (!user) return { user: {}, authenticated: false };
  if (audiences.length === 0) return { user: {}, authenticated: false, error: `token audiences ${JSON.stringify(API_AUDIENCES)} is invalid for the target audiences ${JSON.stringify(wanted)}` };
  return { authenticated: true, user, audiences };
}

function subjectAccessReviewStatus(spec: Record<string, unknown>): unknown {
  const errors: FieldError[] = [];
  const hasResource = isJsonObject(spec.resourceAttributes);
  if (hasResource === isJsonObject(spec.nonResourceAttributes)) errors.push(invalidValue("spec.resourceAttributes", spec.resourceAttributes ?? null, "exactly one of nonResourceAttributes or resourceAttributes must be specified"));
  const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === "string") : [];
  if (!spec.user && groups.length === 0) errors.push(required("spec.user"));
  if (errors.length) {
    throw new ApiError(422, "Invalid", `SubjectAccessReview.authorization.k8s.io "" is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join(", ")}`, {
      group: "authorization.k8s.io",
      kind: "SubjectAccessReview",
      causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
    });
  }
  return groups.includes(SUPERUSER_GROUP) ? { allowed: true } : { allowed: false, reason: "no RBAC policy matched (the stand-in has no RBAC: only system:masters is authorized)" };
}
