// Per-client token buckets: each client may make `burst` requests at once and `perSecond` on
// average; a refused request learns how many seconds to wait (the Retry-After header).
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class TokenBuckets {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #maxClients: number;

  constructor(limit: RateLimit, maxClients = 10_000) {
    if (!(limit.perSecond > 0 && limit.burst >= 1)) {
      throw new Error(`rate limit needs perSecond > 0 and burst >= 1, got ${JSON.stringify(limit)}`);
    }
    this.#limit = limit;
    this.#maxClients = maxClients;
  }

  /** Whether `client` has a token at time `nowMs`, without taking it. */
  peek(client: string, nowMs: number): RateDecision {
    const bucket = this.#buckets.get(client);
    if (!bucket) return { allowed: true };
    const { perSecond, burst } = this.#limit;
    const tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * perSecond);
    return tokens >= 1
      ? { allowed: true }
      : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
  }

  /** Takes one token from `client`'s bucket at time `nowMs`. */
  take(client: string, nowMs: number): RateDecision {
    const { perSecond, burst } = this.#limit;
    const bucket = this.#buckets.get(client) ?? { tokens: burst, at: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * perSecond);
    bucket.at = nowMs;
    if (!this.#buckets.has(client)) {
      // Forget idle clients (full buckets) rather than grow without bound.
      if (this.#buckets.size >= this.#maxClients) this.#dropFull(nowMs);
      this.#buckets.set(client, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }

  #dropFull(nowMs: number) {
    const { perSecond, burst } = this.#limit;
    for (const [client, b] of this.#buckets) {
      if (b.tokens + ((nowMs - b.at) / 1000) * perSecond >= burst) this.#buckets.delete(client);
    }
  }
}
