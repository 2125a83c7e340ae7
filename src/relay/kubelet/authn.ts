/**
 * Who may call the kubelet API, decided as the kubelet decides it with webhook authentication and
 * authorization (pkg/kubelet/server/auth.go): a client certificate that chains to the kubelet
 * client CA is the API server (that CA is dedicated to it); a bearer token is checked with a
 * TokenReview and its user with a SubjectAccessReview on `nodes/proxy` of this node, verb from the
 * HTTP method, both against the API server and cached as the kubelet caches them (2 min for
 * tokens, 5 min for allowed, 30 s for denied). Anything else is 401.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { KubeApi } from "../kube-api";
import { errorMessage, type Logger } from "../log";
import { KubeletError } from "./status";

interface User {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: User;
  error?: string;
}

const TOKEN_TTL_MS = 120_000;
const ALLOWED_TTL_MS = 300_000;
const DENIED_TTL_MS = 30_000;
const CACHE_LIMIT = 1_000;

/** kubelet auth.go: the API verb of an HTTP method. */
const VERBS: Record<string, string> = { POST: "create", GET: "get", HEAD: "get", PUT: "update", PATCH: "patch", DELETE: "delete" };

export class KubeletAuth {
  readonly #tokens = new Map<string, { user: User | undefined; until: number }>();
  readonly #decisions = new Map<string, { allowed: boolean; until: number }>();

  constructor(
    private readonly o: { api: KubeApi; nodeName: string; log: Logger; now?: () => number },
  ) {}

  #now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** Resolves when the caller may make this request; throws a 401 or 403 KubeletError otherwise. */
  async authorize(req: IncomingMessage): Promise<void> {
    const socket = req.socket as TLSSocket;
    if (socket.authorized === true && socket.getPeerCertificate()?.subject) return;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer) throw new KubeletError(401, "Unauthorized");
    const user = await this.#userOf(bearer);
    if (!user) throw new KubeletError(401, "Unauthorized");
    const verb = VERBS[req.method ?? "GET"] ?? "";
    if (!(await this.#allowed(user, verb))) {
      throw new KubeletError(403, `Forbidden (user=${user.username}, verb=${verb}, resource=nodes, subresource(s)=[proxy])`);
    }
  }

  async #userOf(token: string): Promise<User | undefined> {
    const key = createHash("sha256").update(token).digest("hex");
    const cached = this.#tokens.get(key);
    if (cached && cached.until > this.#now()) return cached.user;
    const review = await this.#review<TokenReviewStatus>("/apis/authentication.k8s.io/v1/tokenreviews", { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } });
    const user = review.authenticated && review.user?.username ? review.user : undefined;
    if (!user && review.error) this.o.log.debug("token not authenticated", { error: review.error });
    remember(this.#tokens, key, { user, until: this.#now() + TOKEN_TTL_MS });
    return user;
  }

  async #allowed(user: User, verb: string): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid, user.groups, verb]);
    const cached = this.#decisions.get(key);
    if (cached && cached.until > this.#now()) return cached.allowed;
    const spec = {
      user: user.username,
      ...(user.uid ? { uid: user.uid } : {}),
      groups: user.groups ?? [],
      ...(user.extra ? { extra: user.extra } : {}),
      resourceAttributes: { verb, resource: "nodes", subresource: "proxy", name: this.o.nodeName, version: "v1" },
    };
    const review = await this.#review<{ allowed?: boolean }>("/apis/authorization.k8s.io/v1/subjectaccessreviews", { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec });
    const allowed = review.allowed === true;
    remember(this.#decisions, key, { allowed, until: this.#now() + (allowed ? ALLOWED_TTL_MS : DENIED_TTL_MS) });
    return allowed;
  }

  /** A review's status; the API server being unreachable is a 503, never a pass. */
  async #review<S>(path: string, body: unknown): Promise<S> {
    try {
      const answer = await this.o.api.request<{ status?: S }>("POST", path, { body });
      return answer.status ?? ({} as S);
    } catch (e) {
      this.o.log.warn("kubelet API: review failed", { path, error: errorMessage(e) });
      throw new KubeletError(503, `machinelet: cannot check the caller with the API server (${path.split("/").pop()}): ${errorMessage(e)}`);
    }
  }
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
}
