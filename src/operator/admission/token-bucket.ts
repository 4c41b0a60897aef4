// The rate limit of a queue as a token bucket (pure): `perSecond` tokens flow in up to `burst`, one
// admission takes one token. The state is a plain record so it can live in the TaskQueue's status.

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface BucketState {
  readonly tokens: number;
  /** Epoch milliseconds of the state. */
  readonly at: number;
}

/** The bucket brought forward to `now` (a clock going backwards adds nothing). */
export function refill(state: BucketState | undefined, limit: RateLimit, now: number): BucketState {
  if (!state) return { tokens: limit.burst, at: now };
  const elapsed = Math.max(0, now - state.at) / 1000;
  return {
    tokens: Math.min(limit.burst, state.tokens + elapsed * limit.perSecond),
    at: Math.max(now, state.at),
  };
}

/** How many whole tokens may be taken now, at most `wanted`. */
export function available(state: BucketState, wanted: number): number {
  return Math.max(0, Math.min(wanted, Math.floor(state.tokens + 1e-9)));
}

export function take(state: BucketState, n: number): BucketState {
  return { tokens: Math.max(0, state.tokens - n), at: state.at };
}

/** When the next whole token will be there. */
export function nextTokenAt(state: BucketState, limit: RateLimit): number {
  const missing = 1 - state.tokens;
  return missing <= 0 ? state.at : state.at + Math.ceil((missing / limit.perSecond) * 1000);
}
