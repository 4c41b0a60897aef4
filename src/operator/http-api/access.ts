// Who is calling and may they do it: the bearer token is checked with a Kubernetes TokenReview and
// the action with a SubjectAccessReview on taskruns, so the RBAC that governs `kubectl` governs the
// HTTP API. Answers are cached briefly (by a hash of the token; never the token itself).
import { createHash } from "node:crypto";
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { apiClient } from "../../sdk/api-client.ts";
import { GROUP } from "../api/common.ts";

export interface Caller {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What a request wants to do, in RBAC terms (on taskruns of the group tasks.synthetiq.io). */
export interface TaskRunAction {
  verb: "create" | "get" | "list" | "patch";
  namespace: string;
  name?: string;
}

export interface AccessReview {
  /** The caller a bearer token belongs to, or null when the token is not valid. */
  authenticate(token: string): Promise<Caller | null>;
  authorize(caller: Caller, action: TaskRunAction): Promise<boolean>;
  /**
   * A recent review's answer for this token (its caller, or null: not valid), undefined when there
   * is none, so that authenticate() would ask the API server.
   */
  cached?(token: string): Caller | null | undefined;
}

/** A small time-bounded cache of review answers, keyed by a hash, bounded in size. */
class AnswerCache<T> {
  readonly #entries = new Map<string, { value: T; until: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  constructor(ttlMs: number, max = 5_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }
  /** The answer held for `key`, while it is fresh. */
  peek(key: string): T | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.until > Date.now() ? hit.value : undefined;
  }
  put(key: string, value: T) {
    if (this.#ttlMs <= 0) return;
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, { value, until: Date.now() + this.#ttlMs });
  }
  async get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.peek(key);
    if (hit !== undefined) return hit;
    const value = await compute();
    this.put(key, value);
    return value;
  }
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");

/** TokenReview and SubjectAccessReview through the API server, with the server's own credentials. */
export function kubeAccessReview(kc: KubeConfig, cacheSeconds = 10): AccessReview {
  const authn = apiClient(kc, AuthenticationV1Api);
  const authz = apiClient(kc, AuthorizationV1Api);
  // Valid and invalid tokens apart: a flood of bad tokens filling its cache does not evict good ones.
  const validTokens = new AnswerCache<Caller>(cacheSeconds * 1000);
  const invalidTokens = new AnswerCache<null>(cacheSeconds * 1000);
  const cachedAnswer = (key: string) => validTokens.peek(key) ?? invalidTokens.peek(key);
  const decisions = new AnswerCache<boolean>(cacheSeconds * 1000);
  return {
    cached: (token) => cachedAnswer(digest(token)),
    async authenticate(token) {
      const key = digest(token);
      const known = cachedAnswer(key);
      if (known !== undefined) return known;
      const review = await authn.createTokenReview({ body: { spec: { token } } });
      const user = review.status?.user;
      if (!review.status?.authenticated || !user?.username) {
        invalidTokens.put(key, null);
        return null;
      }
      const caller: Caller = {
        username: user.username,
        groups: user.groups ?? [],
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
      };
      validTokens.put(key, caller);
      return caller;
    },
    authorize: (caller, action) =>
      decisions.get(digest(JSON.stringify([caller, action])), async () => {
        const review = await authz.createSubjectAccessReview({
          body: {
            spec: {
              user: caller.username,
              groups: caller.groups,
              ...(caller.uid ? { uid: caller.uid } : {}),
              ...(caller.extra ? { extra: caller.extra } : {}),
              resourceAttributes: {
                group: GROUP,
                resource: "taskruns",
                verb: action.verb,
                namespace: action.namespace,
                ...(action.name ? { name: action.name } : {}),
              },
            },
          },
        });
        return review.status?.allowed === true;
      }),
  };
}
