// Scenario 1: a no-op task from submit to result available, on each system in turn (never two at
// once): this project, a plain Kubernetes Job, Celery and BullMQ. Sequential latency, then a burst
// submitted at once; CPU and RSS of every process involved, sampled over both phases.
import { type BenchCluster, openBenchCluster } from "../lib/cluster.ts";
import { ProcessSampler } from "../lib/procstat.ts";
import { type Row, type Scenario, unavailableRow } from "../lib/report.ts";
import { summarize } from "../lib/stats.ts";
import { startBullmq } from "./noop/bullmq.ts";
import { startCelery } from "./noop/celery.ts";
import type { Contender, NoopCounts, NoopMeasurement } from "./noop/contender.ts";
import { startPlainJobs } from "./noop/plain-job.ts";
import { startSynthetiq } from "./noop/synthetiq.ts";

export const NOOP_SYSTEMS = ["synthetiq", "plain-job", "celery", "bullmq"] as const;
export type NoopSystem = (typeof NOOP_SYSTEMS)[number];

export interface NoopScenarioOptions extends NoopCounts {
  systems: readonly NoopSystem[];
  /** Worker concurrency of the Celery and BullMQ baselines (default: one per core). */
  workerConcurrency: number;
  /** Bound for each system's measurement. */
  timeoutMs: number;
  /** Filled with the cluster's version when a cluster system ran. */
  versions?: Record<string, string>;
}

function label(system: NoopSystem, workerConcurrency: number): string {
  return {
    synthetiq: "synthetiq (SDK → TaskRun → operator → Job → runner pod → Redis)",
    "plain-job": "plain Kubernetes Job (container runs `true`)",
    celery: `Celery (warm prefork worker, concurrency ${workerConcurrency})`,
    bullmq: `BullMQ (warm worker process, concurrency ${workerConcurrency})`,
  }[system];
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function noopRow(system: string, counts: NoopCounts, m: NoopMeasurement): Row {
  const sequential = summarize(m.sequentialMs);
  const burst = summarize(m.burstMs);
  return {
    system,
    figures: {
      "sequential n": sequential.n,
      "sequential p50 ms": sequential.p50Ms,
      "sequential p99 ms": sequential.p99Ms,
      "burst n": counts.burst,
      "burst p50 ms": burst.p50Ms,
      "burst p99 ms": burst.p99Ms,
      "burst all done ms": Math.round(m.burstWallMs),
      "burst tasks/s": Math.round((counts.burst / (m.burstWallMs / 1000)) * 10) / 10,
    },
  };
}

async function runContender(
  system: string,
  start: () => Promise<Contender>,
  options: NoopScenarioOptions,
): Promise<Row> {
  const contender = await withTimeout(start(), 120_000, "starting");
  try {
    const sampler = new ProcessSampler(contender.processes).start();
    const measured = await withTimeout(contender.measure(options), options.timeoutMs, "measuring");
    return { ...noopRow(system, options, measured), processes: sampler.stop() };
  } finally {
    await contender.stop();
  }
}

export async function noopTaskScenario(options: NoopScenarioOptions): Promise<Scenario> {
  const started = performance.now();
  const rows: Row[] = [];
  const notes = [
    `${options.warmup} warm-up task(s) per system first, not counted. Systems run one after the other, never together.`,
    "Latency = submit until the result is readable by the client: synthetiq's handle.result() (Redis publish or TaskRun watch), the Job's Complete condition (watch), Celery's AsyncResult.get(), BullMQ's job.waitUntilFinished().",
    "Celery's burst latencies are read in submission order (an upper bound for a task that finished before an earlier one); its client is a Python process.",
    "The cluster (API server, etcd, controller-manager, scheduler, process node) is shared with other test runs on this machine; its CPU figures include their load.",
  ];
  const needsCluster = options.systems.some((s) => s === "synthetiq" || s === "plain-job");
  let bench: BenchCluster | undefined;
  let clusterError = "";
  if (needsCluster) {
    try {
      bench = await openBenchCluster("bench-noop");
      if (options.versions) options.versions.kubernetes = await bench.kubernetesVersion();
    } catch (error) {
      clusterError = (error as Error).message;
    }
  }
  try {
    for (const system of options.systems) {
      const name = label(system, options.workerConcurrency);
      try {
        if ((system === "synthetiq" || system === "plain-job") && !bench) {
          rows.push(unavailableRow(name, `not available: the local cluster did not start (${clusterError})`));
          continue;
        }
        const start = {
          synthetiq: () => startSynthetiq(bench as BenchCluster),
          "plain-job": () => startPlainJobs(bench as BenchCluster),
          celery: () => startCelery(options.workerConcurrency, options),
          bullmq: () => startBullmq(options.workerConcurrency),
        }[system];
        rows.push(await runContender(name, start, options));
      } catch (error) {
        const prefix = system === "synthetiq" ? "not available yet" : "not available";
        rows.push(unavailableRow(name, `${prefix}: ${(error as Error).message.split("\n")[0]}`));
      }
    }
  } finally {
    await bench?.close();
  }
  return {
    id: "1",
    title: `No-op task, submit → result available (${options.sequential} sequential, then ${options.burst} at once)`,
    rows,
    notes,
    seconds: Math.round((performance.now() - started) / 1000),
  };
}
