import { describe, expect, it } from "vitest";
import {
  backoffSeconds,
  DEFAULT_RETRY,
  effectiveRetry,
  stableFraction,
} from "../../../src/operator/backoff.ts";

describe("backoff", () => {
  const noJitter = { initialSeconds: 2, factor: 3, maxSeconds: 100, jitter: 0 };

  it("grows exponentially from the initial delay and stops at the cap", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(noJitter, n, "seed"))).toEqual([2, 6, 18, 54, 100]);
  });

  it("jitter only shortens the delay, by at most the jitter fraction, and is the same for the same run and attempt", () => {
    const backoff = { ...noJitter, jitter: 0.5 };
    const delays = Array.from({ length: 200 }, (_, i) => backoffSeconds(backoff, 3, `uid-${i}`));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(9);
    expect(Math.max(...delays)).toBeLessThanOrEqual(18);
    expect(new Set(delays).size).toBeGreaterThan(150);
    expect(backoffSeconds(backoff, 3, "uid-7")).toBe(backoffSeconds(backoff, 3, "uid-7"));
    expect(backoffSeconds(backoff, 3, "uid-7")).not.toBe(backoffSeconds(backoff, 2, "uid-7") * 3);
  });

  it("stableFraction stays within [0, 1)", () => {
    for (let i = 0; i < 1000; i++) {
      const f = stableFraction(String(i));
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
  });

  it("takes each field from the first layer that sets it", () => {
    const merged = effectiveRetry(
      { backoff: { initialSeconds: 1 } },
      { maxAttempts: 7, backoff: { factor: 5 } },
      undefined,
    );
    expect(merged).toEqual({
      maxAttempts: 7,
      backoff: { ...DEFAULT_RETRY.backoff, initialSeconds: 1, factor: 5 },
    });
    expect(effectiveRetry()).toEqual(DEFAULT_RETRY);
  });
});
