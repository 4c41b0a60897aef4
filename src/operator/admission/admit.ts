// "Which waiting Jobs of this queue start now?" (pure): the first ones in admission order, as many
// as free slots (running + admitted < concurrency) and the token bucket allow. The ones left say why
// they wait and where they stand.

import type { QueueView } from "./queue-view.ts";
import { available, type BucketState, nextTokenAt, type RateLimit, refill, take } from "./token-bucket.ts";

export type WaitReason = "QueueFull" | "RateLimited";

export interface AdmissionInput {
  readonly view: QueueView;
  /** Current concurrency; Infinity for a queue without concurrency bounds. */
  readonly concurrency: number;
  readonly rateLimit?: RateLimit;
  readonly bucket?: BucketState;
  readonly now: number;
}

export interface Waiting {
  readonly name: string;
  readonly reason: WaitReason;
  /** 1-based place among the Jobs still waiting. */
  readonly position: number;
  readonly total: number;
}

export interface AdmissionDecision {
  /** Job names to release, in order. */
  readonly release: readonly string[];
  readonly waiting: readonly Waiting[];
  /** The bucket after the releases (undefined without a rate limit). */
  readonly bucket?: BucketState;
  /** Look again at this time (the next token), when waiting only for the rate limit. */
  readonly retryAt?: number;
}

export function decideAdmission({
  view,
  concurrency,
  rateLimit,
  bucket,
  now,
}: AdmissionInput): AdmissionDecision {
  const busy = view.running + view.admitted;
  const free = Math.max(0, Math.min(view.waiting.length, concurrency - busy));
  let allowed = free;
  let state: BucketState | undefined;
  if (rateLimit) {
    state = refill(bucket, rateLimit, now);
    allowed = available(state, free);
    state = take(state, allowed);
  }
  const release = view.waiting.slice(0, allowed).map((w) => w.name);
  const left = view.waiting.slice(allowed);
  // Slots still free after this round mean the bucket, not the concurrency, holds the rest back.
  const reason: WaitReason = allowed < free ? "RateLimited" : "QueueFull";
  const waiting = left.map((w, i) => ({ name: w.name, reason, position: i + 1, total: left.length }));
  const decision: AdmissionDecision = { release, waiting, ...(state ? { bucket: state } : {}) };
  if (reason === "RateLimited" && rateLimit && state) {
    return { ...decision, retryAt: nextTokenAt(state, rateLimit) };
  }
  return decision;
}
