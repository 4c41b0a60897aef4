// Scenarios 2, 4 and 5: the benchmarks other parts of the project own (bench/*.ts), each run as a
// child process, bounded in time, with the CPU and RSS of its whole process tree; their figures are
// read from the JSON line they print (or, for the operator's burst, from its printed table).
import { type ChildRun, resultOf, runBenchScript } from "../lib/child.ts";
import type { Figure, Row, Scenario } from "../lib/report.ts";

type Figures = Record<string, unknown>;

interface ChildScenario {
  id: string;
  title: string;
  script: string;
  args: string[];
  timeoutMs: number;
  system: string;
  /** The row's figures from the run (throws when the output does not hold them). */
  figures(run: ChildRun): Record<string, Figure>;
  notes?: string[];
}

function failure(run: ChildRun): string {
  if (run.timedOut) return `timed out after ${run.seconds} s`;
  const lastError = run.stderr.trim().split("\n").filter(Boolean).slice(-3).join(" ");
  return `exit code ${run.code}: ${lastError.slice(0, 300)}`;
}

async function runChildScenario(spec: ChildScenario): Promise<Scenario> {
  const run = await runBenchScript(spec.script, spec.args, spec.timeoutMs);
  let row: Row;
  try {
    if (run.code !== 0) throw new Error(failure(run));
    row = { system: spec.system, figures: spec.figures(run) };
  } catch (error) {
    row = { system: spec.system, figures: {}, unavailable: `not available: ${(error as Error).message}` };
  }
  row.processes = [{ ...run.usage, label: `${[spec.script, ...spec.args].join(" ")} (and what it starts)` }];
  return {
    id: spec.id,
    title: spec.title,
    rows: [row],
    notes: spec.notes ?? [],
    seconds: Math.round(run.seconds),
  };
}

function json(run: ChildRun): Figures {
  const figures = resultOf(run.stdout);
  if (!figures) throw new Error(`no JSON result line in the output: ${run.stdout.slice(-300)}`);
  return figures;
}

const num = (figures: Figures, key: string): number => {
  const value = figures[key];
  if (typeof value !== "number") throw new Error(`the result has no number ${key}`);
  return value;
};

/** Figures of bench/operator-burst.ts, from its BENCH_RESULT line. */
export function parseOperatorBurst(run: ChildRun): Record<string, Figure> {
  const f = json(run);
  const bursts = f.bursts;
  if (!Array.isArray(bursts) || bursts.length === 0) throw new Error("the result has no bursts");
  const perBurst = (bursts as Figures[]).flatMap((b) => {
    const level = `burst ${num(b, "concurrency")} in flight`;
    return [
      [
        `${level}: created → Job created p50 / p99 ms`,
        `${num(b, "createdToCreatedP50Ms")} / ${num(b, "createdToCreatedP99Ms")}`,
      ],
      [
        `${level}: relay (lower bound) p50 / p99 ms`,
        `${num(b, "relayCreatedToCreatedP50Ms")} / ${num(b, "relayCreatedToCreatedP99Ms")}`,
      ],
      [
        `${level}: all Jobs exist s (plain Jobs, relay)`,
        `${num(b, "allJobsSeconds")} (${num(b, "plainAllJobsSeconds")}, ${num(b, "relayAllJobsSeconds")})`,
      ],
    ] as const;
  });
  return {
    ...Object.fromEntries(perBurst),
    "steady: created → Job created p50 / p99 ms": `${num(f, "steadyCreatedToCreatedP50Ms")} / ${num(f, "steadyCreatedToCreatedP99Ms")}`,
    "one at a time p50 ms (plain)": `${num(f, "oneAtATimeP50Ms")} (${num(f, "plainOneAtATimeP50Ms")})`,
    "API writes / TaskRun": num(f, "writesPerTaskRun"),
    "API reads / TaskRun": num(f, "readsPerTaskRun"),
    "operator RSS MB": num(f, "operatorRssMb"),
    "operator peak RSS MB": num(f, "operatorPeakRssMb"),
  };
}

export interface ExistingBenchOptions {
  operatorBurst: number;
  coldStartRuns: number;
  scanMegabytes: number;
  reportOrders: number;
  /** Time bound of each child benchmark. */
  timeoutMs: number;
}

/** The scenarios by id ("2", "4a", "4b", "5a", "5b"), each started when called. */
export function existingBenchScenarios(o: ExistingBenchOptions): Record<string, () => Promise<Scenario>> {
  const specs: ChildScenario[] = [
    {
      id: "2",
      title: `Operator: TaskRun → Job latency, a burst of ${o.operatorBurst} (bench/operator-burst.ts)`,
      script: "bench/operator-burst.ts",
      args: ["--count", String(o.operatorBurst)],
      timeoutMs: o.timeoutMs,
      system: `operator, ${o.operatorBurst} TaskRuns vs ${o.operatorBurst} plain Jobs and a relay (pods held unscheduled)`,
      figures: parseOperatorBurst,
      notes: [
        "Targets (operator issue): p50 < 50 ms, p99 < 250 ms, all Jobs < 10 s, ≤ 4 writes per attempt, RSS < 150 MB.",
        "Bursts: 5 creates in flight (the targets are checked on it), then 20 (saturates the two-core API server: no controller meets 50 ms there, see the relay), each sent when the last was answered; steady: 50 creates a second, each on time. created → Job created: from the TaskRun's create call answered to the Job's (the operator's debug log).",
        "Relay: bench/lib/relay-controller.ts, the least a TaskRun → Job controller can do (no validation, no status, a minimal Job), in the same run: what no operator can beat on this cluster.",
        "Each controller, relay and operator, turns a burst of 200 TaskRuns into Jobs right after it starts, before its measured burst (--controller-warmup): a process's first second runs cold.",
      ],
    },
    {
      id: "4a",
      title:
        "Runner cold start: spawn → task function called with Redis connected (bench/runner-cold-start.ts)",
      script: "bench/runner-cold-start.ts",
      args: [String(o.coldStartRuns)],
      timeoutMs: o.timeoutMs,
      system: "runner (node dist/runner.js, email.send_welcome_email)",
      figures: (run) => {
        const f = json(run);
        return {
          runs: num(f, "runs"),
          "p50 ms": num(f, "spawnToTaskP50Ms"),
          "p99 ms": num(f, "spawnToTaskP99Ms"),
          "RSS at task start MB": num(f, "rssAtTaskP50Mb"),
          "peak RSS p50 MB": num(f, "peakRssP50Mb"),
          "peak RSS max MB": num(f, "peakRssMaxMb"),
        };
      },
      notes: ["Target: p50 < 150 ms, RSS < 80 MB."],
    },
    {
      id: "4b",
      title:
        "Result store on loopback Redis: write (MULTI + publish) and read (bench/runner-result-store.ts)",
      script: "bench/runner-result-store.ts",
      args: [],
      timeoutMs: o.timeoutMs,
      system: "ResultStore / ResultsClient",
      figures: (run) => {
        const f = json(run);
        return Object.fromEntries(
          [
            "write1KbP50Ms",
            "write1KbP99Ms",
            "read1KbP50Ms",
            "read1KbP99Ms",
            "write100KbP99Ms",
            "read100KbP99Ms",
          ].map((k) => [k.replace(/(\d+)Kb(P\d+)Ms/, " $1 KB $2 ms").replace("P", "p"), num(f, k)]),
        );
      },
      notes: ["Target: p99 < 2 ms for 1 KB records."],
    },
    {
      id: "5a",
      title: `Model scan throughput vs picklescan, ${o.scanMegabytes} MB of pickles (bench/models-scan.ts)`,
      script: "bench/models-scan.ts",
      args: [String(o.scanMegabytes), "2"],
      timeoutMs: o.timeoutMs,
      system: "models.scan_model_security vs picklescan",
      figures: (run) => {
        const files = json(run).files as Array<Record<string, string>> | undefined;
        if (!files?.length) throw new Error("models-scan reported no files");
        const figures: Record<string, Figure> = {};
        for (const file of files) {
          figures[`${file.file} ours MB/s`] = Number(file["ours MB/s"]);
          figures[`${file.file} picklescan MB/s`] = Number(file["picklescan MB/s"]);
        }
        return figures;
      },
      notes: [
        "ours hashes every byte (SHA-256) while parsing; picklescan does not hash; its interpreter start-up is included.",
      ],
    },
    {
      id: "5b",
      title: `Daily report over ${o.reportOrders.toLocaleString("en")} orders (bench/reports-daily.ts)`,
      script: "bench/reports-daily.ts",
      args: ["--orders", String(o.reportOrders)],
      timeoutMs: o.timeoutMs,
      system: "reports.generate_daily_report",
      figures: (run) => {
        const f = json(run);
        return {
          orders: num(f, "orderRows"),
          "report s": num(f, "reportSeconds"),
          "peak RSS MB": num(f, "peakRssMB"),
          "seed s (not the task)": num(f, "seedSeconds"),
        };
      },
      notes: ["Target: < 30 s and < 300 MB RSS."],
    },
    {
      id: "5c",
      title:
        "Thumbnails: 12 photos of 3000x2000, each to 128/256/512 in WebP and PNG (bench/models-thumbnail.ts)",
      script: "bench/models-thumbnail.ts",
      args: ["12", "3000", "2000"],
      timeoutMs: o.timeoutMs,
      system: "models.generate_model_thumbnail (in-process) vs sharp directly",
      figures: (run) => {
        const f = json(run);
        return {
          "task p50 ms": num(f, "taskP50Ms"),
          "task p99 ms": num(f, "taskP99Ms"),
          "sharp alone p50 ms": num(f, "sharpDirectP50Ms"),
          "images/s": num(f, "imagesPerSecond"),
          "peak RSS MB": num(f, "peakRssMB"),
        };
      },
      notes: [
        "The task also reads the source from and writes six files (with SHA-256) to artifact storage, strips metadata and writes its result record to Redis.",
      ],
    },
  ];
  return Object.fromEntries(specs.map((spec) => [spec.id, () => runChildScenario(spec)]));
}
