import { describe, expect, it } from "vitest";
import { available, nextTokenAt, refill, take } from "../../../src/operator/admission/token-bucket.ts";

const limit = { perSecond: 2, burst: 3 };

describe("token bucket", () => {
  it("starts full, refills at the rate up to the burst, and a clock going backwards adds nothing", () => {
    const full = refill(undefined, limit, 1_000);
    expect(full.tokens).toBe(3);
    const empty = take(full, 3);
    expect(refill(empty, limit, 1_500).tokens).toBeCloseTo(1);
    expect(refill(empty, limit, 60_000).tokens).toBe(3);
    expect(refill(empty, limit, 500).tokens).toBe(0);
  });

  it("hands out whole tokens only and says when the next one arrives", () => {
    const state = { tokens: 1.75, at: 0 };
    expect(available(state, 5)).toBe(1);
    expect(available(state, 0)).toBe(0);
    expect(nextTokenAt({ tokens: 0.5, at: 10_000 }, limit)).toBe(10_250);
    expect(nextTokenAt({ tokens: 1, at: 10_000 }, limit)).toBe(10_000);
  });
});
