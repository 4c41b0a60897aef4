// `npm run bench`: every benchmark scenario in one run on this machine, so that the ratios between
// this project and its baselines (plain Jobs, Celery, BullMQ) hold even on a noisy machine.
// Writes bench/results/latest.json and latest.md (see docs/benchmarks.md).
//   node bench/run.ts [--quick] [--only 1,3,4a] [--systems synthetiq,celery] [--out DIR]
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBuilt } from "../scripts/build.ts";
import { describeMachine } from "./lib/machine.ts";
import { type Report, type Scenario, writeReport } from "./lib/report.ts";
import { existingBenchScenarios } from "./scenarios/existing-benches.ts";
import { NOOP_SYSTEMS, type NoopSystem, noopTaskScenario } from "./scenarios/noop-task.ts";
import { operatorMemoryScenario } from "./scenarios/operator-memory.ts";

export interface BenchOptions {
  /** Scenario ids to run (all when empty): "1", "2", "3", "4a", "4b", "5a", "5b", "5c". */
  only: readonly string[];
  systems: readonly NoopSystem[];
  quick: boolean;
  outDir: string;
}

const FULL = {
  noop: { warmup: 3, sequential: 20, burst: 200 },
  heldTaskRuns: 10_000,
  existing: { operatorBurst: 1000, coldStartRuns: 20, scanMegabytes: 64, reportOrders: 1_000_000 },
};
const QUICK = {
  noop: { warmup: 2, sequential: 5, burst: 20 },
  heldTaskRuns: 500,
  existing: { operatorBurst: 100, coldStartRuns: 5, scanMegabytes: 8, reportOrders: 20_000 },
};
const SCENARIO_TIMEOUT_MS = 6 * 60_000;

export async function runBenchmarks(
  options: BenchOptions,
): Promise<{ report: Report; files: { json: string; markdown: string } }> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const machine = describeMachine(); // before anything starts: the load average is the machine's own
  ensureBuilt(); // once, for the scenarios that start the operator and runner pods from dist/
  const sizes = options.quick ? QUICK : FULL;
  const existing = existingBenchScenarios({ ...sizes.existing, timeoutMs: SCENARIO_TIMEOUT_MS });
  // Integer-like keys come first in ascending order, then the rest as inserted: 1, 2, 3, 4a, 4b, 5a, 5b, 5c.
  const planned: Record<string, () => Promise<Scenario>> = {
    "1": () =>
      noopTaskScenario({
        ...sizes.noop,
        systems: options.systems,
        workerConcurrency: cpus().length,
        timeoutMs: SCENARIO_TIMEOUT_MS,
        versions: machine.versions,
      }),
    "3": () =>
      operatorMemoryScenario({ count: sizes.heldTaskRuns, concurrency: 20, timeoutMs: SCENARIO_TIMEOUT_MS }),
    ...existing,
  };
  const scenarios: Scenario[] = [];
  const report: Report = { startedAt, seconds: 0, machine, scenarios };
  for (const [id, run] of Object.entries(planned)) {
    if (options.only.length > 0 && !options.only.includes(id)) continue;
    console.error(JSON.stringify({ time: new Date().toISOString(), msg: "scenario started", id }));
    const scenario = await run();
    console.error(
      JSON.stringify({
        time: new Date().toISOString(),
        msg: "scenario finished",
        id,
        seconds: scenario.seconds,
      }),
    );
    scenarios.push(scenario);
    // Written after every scenario, so that what was measured survives a later failure.
    report.seconds = Math.round((performance.now() - started) / 1000);
    writeReport(report, options.outDir);
  }
  report.seconds = Math.round((performance.now() - started) / 1000);
  return { report, files: writeReport(report, options.outDir) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", default: "" },
      systems: { type: "string", default: NOOP_SYSTEMS.join(",") },
      out: { type: "string", default: join(import.meta.dirname, "results") },
    },
  });
  const systems = values.systems.split(",").filter(Boolean);
  const unknown = systems.filter((s) => !(NOOP_SYSTEMS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    console.error(`--systems: unknown ${unknown.join(", ")}; known: ${NOOP_SYSTEMS.join(", ")}`);
    process.exit(2);
  }
  const { files } = await runBenchmarks({
    only: values.only.split(",").filter(Boolean),
    systems: systems as NoopSystem[],
    quick: values.quick,
    outDir: values.out,
  });
  console.log(`wrote ${files.json} and ${files.markdown}`);
  process.exit(0);
}
