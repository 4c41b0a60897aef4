// Whether the API server is queueing the operator's requests, judged as LEDBAT judges a network
// path (RFC 6817): the time a request takes now against the least it took lately (its base), so
// that the same rule holds for an API server on loopback (a few milliseconds) and a managed one far
// away (tens). Background work, such as status bookkeeping, yields while the queueing lasts.

export interface CongestionOptions {
  /** How long a sample may define the base (default 5 minutes), kept as per-bucket minima. */
  baseWindowMs?: number;
  bucketMs?: number;
  /** Recent samples whose median is "now": one or two slow answers are not congestion (default 5). */
  recentSamples?: number;
  /** How old a recent sample may be (default 1 s): with no fresh answers, nothing says "congested". */
  freshMs?: number;
  /** Queueing delay (now minus base) counted as congestion: over the base itself and over this (default 10 ms). */
  minQueueingMs?: number;
}

export class Congestion {
  private readonly baseWindowMs: number;
  private readonly bucketMs: number;
  private readonly recentSamples: number;
  private readonly freshMs: number;
  private readonly minQueueingMs: number;
  /** The least sample of each bucket, oldest first. */
  private readonly buckets: Array<{ start: number; least: number }> = [];
  private readonly recent: Array<{ ms: number; at: number }> = [];

  constructor(options: CongestionOptions = {}) {
    this.baseWindowMs = options.baseWindowMs ?? 300_000;
    this.bucketMs = options.bucketMs ?? 30_000;
    this.recentSamples = options.recentSamples ?? 5;
    this.freshMs = options.freshMs ?? 1_000;
    this.minQueueingMs = options.minQueueingMs ?? 10;
  }

  /** One request took `ms`, answered at `now` (ms on any monotonic clock). */
  record(ms: number, now: number) {
    const last = this.buckets.at(-1);
    if (last && now - last.start < this.bucketMs) last.least = Math.min(last.least, ms);
    else this.buckets.push({ start: now, least: ms });
    while (this.buckets.length > 1 && now - (this.buckets[0]?.start ?? now) > this.baseWindowMs) {
      this.buckets.shift();
    }
    this.recent.push({ ms, at: now });
    if (this.recent.length > this.recentSamples) this.recent.shift();
  }

  /** The least time a request took within the base window, if any was recorded. */
  base(): number | undefined {
    return this.buckets.length ? Math.min(...this.buckets.map((b) => b.least)) : undefined;
  }

  /**
   * Requests queue at `now`: the median of the recent ones, all answered within `freshMs`, waited
   * over twice its base, and more than the margin over it.
   */
  congested(now: number): boolean {
    const base = this.base();
    const fresh = this.recent.filter((r) => now - r.at <= this.freshMs);
    if (base === undefined || fresh.length < this.recentSamples) return false;
    const sorted = fresh.map((r) => r.ms).sort((a, b) => a - b);
    const queueing = (sorted[Math.floor(sorted.length / 2)] ?? 0) - base;
    return queueing > Math.max(base, this.minQueueingMs);
  }
}
