import { describe, expect, it } from "vitest";
import { Congestion } from "../../../src/operator/kube/congestion.ts";

/** Records `times` one millisecond apart from `from`; returns the clock after them. */
const feed = (c: Congestion, times: number[], from = 0) => {
  for (const [i, ms] of times.entries()) c.record(ms, from + i);
  return from + times.length;
};

describe("API server congestion (queueing over the base)", () => {
  it("is congestion when the median recent answer waited over twice the base, and over the margin", () => {
    const local = new Congestion();
    let now = feed(local, [4, 5, 6, 5, 5]);
    expect(local.base()).toBe(4);
    expect(local.congested(now)).toBe(false);
    // A burst on a two-core API server: some answers still come quickly, most queue.
    now = feed(local, [40, 9, 35, 52, 12], 10);
    expect(local.congested(now)).toBe(true);
    now = feed(local, [6, 5, 7], 20); // the queue has drained
    expect(local.congested(now)).toBe(false);
  });

  it("holds a far API server to its own base: 30-50 ms there is not congestion, 90 ms is", () => {
    const far = new Congestion();
    let now = feed(far, [30, 32, 31, 33, 30]);
    expect(far.congested(now)).toBe(false);
    now = feed(far, [45, 50, 48, 52, 40], 10); // slower than usual, but not past twice the base
    expect(far.congested(now)).toBe(false);
    now = feed(far, [90, 95, 120, 100, 70], 20);
    expect(far.congested(now)).toBe(true);
  });

  it("needs a margin on a fast server: 10 ms over a 3 ms base is not congestion", () => {
    const c = new Congestion();
    feed(c, [3, 3, 3, 3, 3]);
    expect(c.congested(feed(c, [12, 14, 13, 11, 12], 10))).toBe(false);
  });

  it("is never congestion before it has seen enough answers, or with two slow answers among quick ones", () => {
    const c = new Congestion();
    expect(c.congested(feed(c, [5, 200, 300, 400]))).toBe(false);
    expect(c.congested(feed(c, [5, 6, 300, 5, 400], 10))).toBe(false);
  });

  it("says nothing from stale answers: once requests stop, the last burst's slow ones do not count", () => {
    const c = new Congestion({ freshMs: 1_000 });
    feed(c, [4, 4, 4, 4, 4]);
    const now = feed(c, [60, 70, 80, 90, 100], 10);
    expect(c.congested(now)).toBe(true);
    expect(c.congested(now + 900)).toBe(true);
    expect(c.congested(now + 1_500)).toBe(false);
  });

  it("forgets a base older than its window, so that a lasting change of server becomes the new base", () => {
    const c = new Congestion({ baseWindowMs: 1_000, bucketMs: 100 });
    feed(c, [5, 5, 5, 5, 5]);
    const now = feed(c, [80, 80, 80, 80, 80], 2_000);
    expect(c.base()).toBe(80);
    expect(c.congested(now)).toBe(false);
  });
});
