import { describe, expect, it } from "vitest";
import {
  desiredForMetric,
  type MetricTarget,
  type Reading,
  type Recommendation,
  recommend,
  type ScalingPolicy,
} from "../../../src/operator/autoscaler/recommend.ts";

const backlog: MetricTarget = { query: "backlog", targetType: "AverageValue", target: 2 };
const latency: MetricTarget = { query: "latency", targetType: "Value", target: 10 };
const policy = (over: Partial<ScalingPolicy> = {}): ScalingPolicy => ({
  metrics: [backlog],
  min: 1,
  max: 20,
  scaleUpStabilizationSeconds: 0,
  scaleDownStabilizationSeconds: 60,
  ...over,
});
const v = (value: number): Reading => ({ value });

/** Runs evaluations every `stepSeconds` with the given readings, carrying the history. */
function run(p: ScalingPolicy, start: number, values: number[][], stepSeconds = 10) {
  let current = start;
  let history: readonly Recommendation[] = [];
  const out: number[] = [];
  values.forEach((readings, i) => {
    const r = recommend({
      policy: p,
      current,
      readings: readings.map(v),
      history,
      now: i * stepSeconds * 1000,
    });
    current = r.concurrency;
    history = r.history;
    out.push(current);
  });
  return out;
}

describe("HPA arithmetic per metric", () => {
  it("Value: ceil(current × value / target); AverageValue: ceil(value / target)", () => {
    expect(desiredForMetric(latency, 25, 4, 0.1)).toBe(10);
    expect(desiredForMetric(latency, 5, 4, 0.1)).toBe(2);
    expect(desiredForMetric(backlog, 13, 4, 0.1)).toBe(7);
    expect(desiredForMetric(backlog, 0, 4, 0.1)).toBe(0);
  });

  it("within the tolerance the current value stays, just outside it the formula applies", () => {
    expect(desiredForMetric(latency, 10.9, 5, 0.1)).toBe(5);
    expect(desiredForMetric(latency, 11.2, 5, 0.1)).toBe(6);
    // AverageValue: usage ratio value / (target × current) = 10.8 / 10.
    expect(desiredForMetric(backlog, 10.8, 5, 0.1)).toBe(5);
    expect(desiredForMetric(backlog, 10.8, 5, 0.05)).toBe(6);
  });

  it("a queue at zero scales with the Value formula as from one, so it can leave zero", () => {
    expect(desiredForMetric(latency, 30, 0, 0.1)).toBe(3);
  });
});

describe("a queue's first evaluation (a new leader, autoscaling just turned on)", () => {
  it("counts the current concurrency as recommended now: a scale-down waits out its window", () => {
    const p = policy({ scaleDownStabilizationSeconds: 60 });
    const at = (seconds: number, history: readonly Recommendation[] | undefined, current = 5) =>
      recommend({ policy: p, current, readings: [v(0)], history, now: seconds * 1000 });
    const first = at(0, undefined);
    expect(first).toMatchObject({ concurrency: 5, reason: "Steady" });
    const half = at(30, first.history);
    expect(half.concurrency).toBe(5);
    const after = at(61, half.history);
    expect(after).toMatchObject({ concurrency: 1, reason: "ScaledDown" });
    // Going up needs no wait (no up window here), first evaluation or not.
    expect(
      recommend({ policy: p, current: 1, readings: [v(20)], history: undefined, now: 0 }).concurrency,
    ).toBe(10);
  });
});

describe("recommend", () => {
  it("the largest desired value over several metrics wins, within min and max", () => {
    const r = recommend({
      policy: policy({ metrics: [backlog, latency] }),
      current: 2,
      readings: [v(6), v(40)],
      history: [],
      now: 0,
    });
    expect(r.concurrency).toBe(8);
    expect(r.reason).toBe("ScaledUp");
    expect(r.message).toContain("metric 1");
    const capped = recommend({
      policy: policy({ max: 5 }),
      current: 2,
      readings: [v(100)],
      history: [],
      now: 0,
    });
    expect(capped.concurrency).toBe(5);
    const floor = recommend({
      policy: policy({ min: 2, scaleDownStabilizationSeconds: 0 }),
      current: 4,
      readings: [v(0)],
      history: [],
      now: 0,
    });
    expect(floor.concurrency).toBe(2);
  });

  it("scales up at once (up window 0) and down only after the down window's highest recommendation has aged out", () => {
    // Burst: backlog 20 → 10 slots; then the backlog is gone.
    const path = run(policy(), 1, [[20], [20], [0], [0], [0], [0], [0], [0], [0], [0]]);
    expect(path[0]).toBe(10);
    // The 60 s down window still holds the 10 recommended at t=10 s until t=80 s.
    expect(path.slice(2, 8)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(path[8]).toBe(1);
  });

  it("an up window takes the lowest recommendation of the window, so a single spike does not scale up", () => {
    const p = policy({ scaleUpStabilizationSeconds: 30 });
    expect(run(p, 1, [[2], [20], [2], [2]])).toEqual([1, 1, 1, 1]);
    const sustained = run(p, 1, [[2], [20], [20], [20], [20], [20]]);
    expect(sustained.at(-1)).toBe(10);
    expect(sustained.slice(0, 4)).toEqual([1, 1, 1, 1]);
  });

  it("the brake forbids scaling up while above its threshold, but allows scaling down", () => {
    const p = policy({ brakeThreshold: 5, scaleDownStabilizationSeconds: 0 });
    const braked = recommend({ policy: p, current: 3, readings: [v(20)], brake: v(9), history: [], now: 0 });
    expect(braked.concurrency).toBe(3);
    expect(braked.reason).toBe("Braked");
    expect(braked.message).toContain("brake 9 > 5");
    const below = recommend({ policy: p, current: 3, readings: [v(20)], brake: v(1), history: [], now: 0 });
    expect(below.concurrency).toBe(10);
    const down = recommend({ policy: p, current: 6, readings: [v(2)], brake: v(9), history: [], now: 0 });
    expect(down.concurrency).toBe(1);
  });

  it("no data or Prometheus unreachable holds the current value and is not active, whatever the other metrics say", () => {
    const unreachable: Reading = {
      reason: "PrometheusUnavailable",
      error: "127.0.0.1:9 unreachable: ECONNREFUSED",
    };
    const held = recommend({
      policy: policy({ metrics: [backlog, latency] }),
      current: 4,
      readings: [v(0), unreachable],
      history: [],
      now: 0,
    });
    expect(held).toMatchObject({ concurrency: 4, active: false, reason: "PrometheusUnavailable" });
    expect(held.message).toContain("ECONNREFUSED");
    expect(held.message).toContain("holding concurrency at 4");
    const empty = recommend({
      policy: policy(),
      current: 7,
      readings: [{ reason: "NoData", error: "query returned no series" }],
      history: [],
      now: 0,
    });
    expect(empty).toMatchObject({ concurrency: 7, active: false, reason: "NoData" });
    const brakeDown = recommend({
      policy: policy({ brakeThreshold: 1 }),
      current: 7,
      readings: [v(100)],
      brake: { reason: "NoData", error: "none" },
      history: [],
      now: 0,
    });
    expect(brakeDown).toMatchObject({ concurrency: 7, active: false });
  });

  it("holding never drops to zero: it keeps the last value, clamped to the bounds", () => {
    const r = recommend({
      policy: policy({ min: 2, max: 5 }),
      current: 9,
      readings: [{ reason: "NoData", error: "x" }],
      history: [],
      now: 0,
    });
    expect(r.concurrency).toBe(5);
  });

  it("forgets recommendations older than both windows, and scales down only to the window's highest", () => {
    const r = recommend({
      policy: policy({ scaleDownStabilizationSeconds: 60 }),
      current: 5,
      readings: [v(2)],
      history: [
        { at: 0, value: 10 },
        { at: 50_000, value: 3 },
      ],
      now: 100_000,
    });
    expect(r.history).toEqual([
      { at: 50_000, value: 3 },
      { at: 100_000, value: 1 },
    ]);
    expect(r.concurrency).toBe(3);
  });
});
