// When to send a Kubernetes API request again: client-go's rule, shared by the operator's REST client
// (client.ts) and the SDK's client-node calls (sdk/api-client.ts). It imports nothing, so the SDK
// takes it without the operator's client.

/** client-go's limit on sending one request again. */
export const MAX_RETRIES = 10;

/** A closed connection, as node:https and as fetch (undici: "other side closed") report it. */
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

/** One exchange's outcome: the answer's status and Retry-After header, or the transport error. */
export type Sent = { answer: { status: number; retryAfter: string | undefined } } | { error: unknown };

/**
 * How long to wait before sending a request again, or undefined to give up; client-go's rule, but
 * for creates. A 429 with a whole-seconds Retry-After asks for a retry of any verb: API Priority and
 * Fairness sends it before acting on the request. A 5xx with Retry-After (storage still starting,
 * a server-side timeout) is retried for every verb but POST: a create that timed out in etcd may
 * have been stored, and sent again with generateName it would make a second object. A reset
 * connection (a keep-alive socket the server had closed) is retried after a second for GETs only,
 * since a write may already have happened.
 */
export function retryWaitMs(method: string, sent: Sent): number | undefined {
  if ("error" in sent) {
    const code = (sent.error as NodeJS.ErrnoException | undefined)?.code ?? "";
    return method === "GET" && RESET_CODES.has(code) ? 1_000 : undefined;
  }
  const { status, retryAfter } = sent.answer;
  if (status !== 429 && (status < 500 || method === "POST")) return undefined;
  if (retryAfter === undefined || !/^\d+$/.test(retryAfter.trim())) return undefined;
  return Number(retryAfter.trim()) * 1_000;
}

/** Why a request is sent again, for metrics: the answer's status code or "connection". */
export const retryCause = (sent: Sent) => ("error" in sent ? "connection" : String(sent.answer.status));
