// The HorizontalPodAutoscaler's arithmetic for a queue's concurrency (pure): per metric
// ceil(current × value / target) for Value, ceil(value / target) for AverageValue, a tolerance
// around the target, the largest desired value wins, up/down stabilization windows over past
// recommendations, min/max bounds, a brake that forbids scaling up, and holding on missing data.

export interface MetricTarget {
  readonly query: string;
  readonly targetType: "Value" | "AverageValue";
  readonly target: number;
}

export interface ScalingPolicy {
  readonly metrics: readonly MetricTarget[];
  readonly min: number;
  readonly max: number;
  /** Default 0.1. */
  readonly tolerance?: number;
  /** Default 0. */
  readonly scaleUpStabilizationSeconds?: number;
  /** Default 300. */
  readonly scaleDownStabilizationSeconds?: number;
  readonly brakeThreshold?: number;
}

/** A query's answer: a number, or why there is none. */
export type Reading =
  | { readonly value: number }
  | { readonly error: string; readonly reason: "PrometheusUnavailable" | "NoData" };

export interface Recommendation {
  readonly at: number;
  readonly value: number;
}

export interface ScalingInput {
  readonly policy: ScalingPolicy;
  readonly current: number;
  /** One reading per metric, in order. */
  readonly readings: readonly Reading[];
  readonly brake?: Reading;
  /**
   * Raw recommendations of earlier evaluations (kept by the caller, pruned here). Undefined for a
   * queue's first evaluation by this process (a new leader, autoscaling just turned on): the current
   * concurrency then counts as recommended now, as the HPA does, so that a scale-down still waits
   * out its window instead of dropping at once.
   */
  readonly history: readonly Recommendation[] | undefined;
  readonly now: number;
}

export interface ScalingResult {
  readonly concurrency: number;
  /** false: the value is held (no data); the reason and message say why. */
  readonly active: boolean;
  readonly reason: string;
  readonly message: string;
  readonly history: readonly Recommendation[];
}

const DEFAULT_TOLERANCE = 0.1;
const DEFAULT_DOWN_WINDOW = 300;

const failed = (r: Reading): r is Extract<Reading, { error: string }> => "error" in r;

/** Desired concurrency for one metric reading, or `current` when within the tolerance. */
export function desiredForMetric(
  metric: MetricTarget,
  value: number,
  current: number,
  tolerance: number,
): number {
  // A queue at zero still needs a base for the Value formula; scaling from 0 behaves as from 1.
  const base = Math.max(current, 1);
  const ratio = metric.targetType === "Value" ? value / metric.target : value / (metric.target * base);
  if (Math.abs(ratio - 1) <= tolerance) return current;
  return Math.ceil(metric.targetType === "Value" ? base * ratio : value / metric.target);
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

export function recommend(input: ScalingInput): ScalingResult {
  const { policy, current, readings, now } = input;
  const tolerance = policy.tolerance ?? DEFAULT_TOLERANCE;
  const upWindow = (policy.scaleUpStabilizationSeconds ?? 0) * 1000;
  const downWindow = (policy.scaleDownStabilizationSeconds ?? DEFAULT_DOWN_WINDOW) * 1000;
  const keepFrom = now - Math.max(upWindow, downWindow);
  // The seed is a moment old, so that a window of 0 leaves it out as it leaves out all history.
  const history = (input.history ?? [{ at: now - 1, value: current }]).filter((r) => r.at >= keepFrom);
  const hold = (reason: string, message: string): ScalingResult => ({
    concurrency: clamp(current, policy.min, policy.max),
    active: false,
    reason,
    message: `${message}; holding concurrency at ${clamp(current, policy.min, policy.max)}`,
    history,
  });

  const missing = readings.findIndex(failed);
  if (missing !== -1) {
    const r = readings[missing] as Extract<Reading, { error: string }>;
    return hold(r.reason, `metric ${missing} (${policy.metrics[missing]?.query}): ${r.error}`);
  }
  if (input.brake && failed(input.brake)) {
    return hold(input.brake.reason, `brake query: ${input.brake.error}`);
  }

  let desired = -1;
  let because = "";
  readings.forEach((r, i) => {
    const metric = policy.metrics[i];
    if (!metric || failed(r)) return;
    const d = desiredForMetric(metric, r.value, current, tolerance);
    if (d > desired) {
      desired = d;
      because = `metric ${i} ${metric.targetType} ${r.value} / target ${metric.target} → ${d}`;
    }
  });
  const raw = clamp(desired, policy.min, policy.max);
  const withRaw = [...history, { at: now, value: raw }];

  // Stabilization as the HPA does it: scale up no further than the lowest recommendation of the
  // up window, down no further than the highest of the down window.
  let up = raw;
  let down = raw;
  for (const r of withRaw) {
    if (r.at >= now - upWindow) up = Math.min(up, r.value);
    if (r.at >= now - downWindow) down = Math.max(down, r.value);
  }
  let next = current;
  if (next < up) next = up;
  if (next > down) next = down;
  let reason = next > current ? "ScaledUp" : next < current ? "ScaledDown" : "Steady";
  let message = `${because}; recommended ${raw}`;
  if (next !== raw) message += `, stabilized to ${next}`;
  const brake = input.brake;
  if (
    brake &&
    !failed(brake) &&
    policy.brakeThreshold !== undefined &&
    brake.value > policy.brakeThreshold &&
    next > current
  ) {
    message += `; brake ${brake.value} > ${policy.brakeThreshold} holds it at ${current}`;
    next = current;
    reason = "Braked";
  }
  next = clamp(next, policy.min, policy.max);
  return { concurrency: next, active: true, reason, message, history: withRaw };
}
