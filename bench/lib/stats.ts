// Latency statistics for the benchmarks: nearest-rank percentiles and a summary of a sample.

/** Nearest-rank percentile (p in 0..100) of an unsorted sample; NaN for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export function summarize(ms: readonly number[]): LatencySummary {
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: ms.length,
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / (ms.length || Number.NaN)),
    maxMs: round(Math.max(...ms)),
  };
}
