// What each system in the no-op task comparison provides, and the shared measurement: warm-up,
// sequential submit → result latency, then a burst submitted at once (throughput).
import type { WatchedProcess } from "../../lib/procstat.ts";

export interface NoopCounts {
  warmup: number;
  sequential: number;
  burst: number;
}

export interface NoopMeasurement {
  sequentialMs: number[];
  /** Per task of the burst: from the burst's start until that task's result was available. */
  burstMs: number[];
  /** From the burst's start until the last result was available. */
  burstWallMs: number;
}

export interface Contender {
  /** The processes that do the work (broker, workers, control plane, client), for CPU and RSS. */
  processes: WatchedProcess[];
  measure(counts: NoopCounts): Promise<NoopMeasurement>;
  stop(): Promise<void>;
}

/** The measurement for clients in this process: `runOne` submits one task and awaits its result. */
export async function measureInProcess(
  runOne: () => Promise<void>,
  counts: NoopCounts,
): Promise<NoopMeasurement> {
  for (let i = 0; i < counts.warmup; i++) await runOne();
  const sequentialMs: number[] = [];
  for (let i = 0; i < counts.sequential; i++) {
    const started = performance.now();
    await runOne();
    sequentialMs.push(performance.now() - started);
  }
  const burstMs: number[] = [];
  const burstStart = performance.now();
  await Promise.all(
    Array.from({ length: counts.burst }, async () => {
      await runOne();
      burstMs.push(performance.now() - burstStart);
    }),
  );
  return { sequentialMs, burstMs, burstWallMs: performance.now() - burstStart };
}
