// Per-client token buckets: each client may make `burst` requests at once and `perSecond` on
// average; a refused request learns how many seconds to wait (the Retry-After header). Also the
// key of a client address: an IPv6 client is its /64 (one host holds a whole /64).
import { isIPv6 } from "node:net";

/** The rate-limit key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head = "", tail] = address.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, "").toLowerCase())
    .join(":")}::/64`;
}
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

  /** Gives back a token taken from `client` for a request that turned out not to count. */
  giveBack(client: string) {
    const bucket = this.#buckets.get(client);
    if (bucket) bucket.tokens = Math.min(this.#limit.burst, bucket.tokens + 1);
  }

  /** Takes one token from `client`'s bucket at time `nowMs`. */
  take(client: string, nowMs: number): RateDecision {
    const { perSecond, burst } = this.#limit;
    const bucket = this.#buckets.get(client) ?? { tokens: burst, at: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * perSecond);
    bucket.at = nowMs;
    if (!this.#buckets.has(client)) {
      // Forget idle clients (full buckets) rather than grow without bound; if all are busy, the
      // longest known go (a Map keeps insertion order).
      if (this.#buckets.size >= this.#maxClients) this.#dropFull(nowMs);
      for (const oldest of this.#buckets.keys()) {
        if (this.#buckets.size < this.#maxClients) break;
        this.#buckets.delete(oldest);
      }
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
