// Retry arithmetic: how many attempts a TaskRun gets and how long to wait before the next one.
// Exponential with a cap and deterministic jitter (derived from the run's uid and attempt, so an
// operator restart computes the same delay).
import { createHash } from "node:crypto";
import type { RetryPolicySpec } from "./api/common.ts";

export interface Backoff {
  initialSeconds: number;
  factor: number;
  maxSeconds: number;
  /** 0..1: the delay is reduced by up to this fraction. */
  jitter: number;
}

export interface EffectiveRetry {
  maxAttempts: number;
  backoff: Backoff;
}

/** Celery's defaults (max_retries=3, default_retry_delay=60), made exponential with a cap. */
export const DEFAULT_RETRY: EffectiveRetry = {
  maxAttempts: 4,
  backoff: { initialSeconds: 60, factor: 2, maxSeconds: 3600, jitter: 0.2 },
};

/** Field by field: the first layer that sets a value wins (the caller's order: TaskRun, then task, then queue defaults). */
export function effectiveRetry(...layers: Array<RetryPolicySpec | undefined>): EffectiveRetry {
  const pick = <K extends keyof Backoff>(key: K): Backoff[K] => {
    for (const layer of layers) {
      const value = layer?.backoff?.[key];
      if (value !== undefined) return value as Backoff[K];
    }
    return DEFAULT_RETRY.backoff[key];
  };
  return {
    maxAttempts: layers.find((l) => l?.maxAttempts !== undefined)?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    backoff: {
      initialSeconds: pick("initialSeconds"),
      factor: pick("factor"),
      maxSeconds: pick("maxSeconds"),
      jitter: pick("jitter"),
    },
  };
}

/** A number in [0, 1) that depends only on `seed`. */
export function stableFraction(seed: string): number {
  return createHash("sha256").update(seed).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Seconds to wait after failed attempt `failedAttempt` (1-based) before the next one:
 * min(max, initial × factor^(n−1)), then reduced by up to `jitter` of itself.
 */
export function backoffSeconds(backoff: Backoff, failedAttempt: number, seed: string): number {
  const exponential = backoff.initialSeconds * backoff.factor ** Math.max(0, failedAttempt - 1);
  const capped = Math.min(backoff.maxSeconds, exponential);
  const reduced = capped * (1 - backoff.jitter * stableFraction(`${seed}/${failedAttempt}`));
  return Math.round(reduced * 1000) / 1000;
}
