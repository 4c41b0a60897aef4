// Runs the demo's examples on the installed chart: (re)applies each with kubectl, shows each
// TaskRun's phase changes as they happen, and reads the result records from Redis.
import { join } from "node:path";
import { Redis } from "ioredis";
import type { TaskRun } from "../../src/operator/api/taskrun.ts";
import { REPO_ROOT } from "../../test/cluster/layout.ts";
import { type Kube, kubectlOk } from "./kube.ts";
import { DEMO_EXAMPLES } from "./names.ts";
import { line, seconds } from "./progress.ts";
import { redisUrl } from "./services.ts";
import { type DemoState, NAMESPACE } from "./state.ts";

const FINISHED = new Set(["Succeeded", "Failed", "Cancelled", "Expired"]);

/** Deletes the previous runs (a second demo runs them again), then applies every example. */
export function applyExamples(kube: Kube) {
  const oneOff = DEMO_EXAMPLES.filter((e) => !e.scheduled).map((e) => `taskrun/${e.taskRun}`);
  kubectlOk(kube, ["delete", "-n", NAMESPACE, "--ignore-not-found", "--wait", ...oneOff]);
  for (const example of DEMO_EXAMPLES) {
    kubectlOk(kube, ["apply", "-n", NAMESPACE, "-f", join(REPO_ROOT, example.file)]);
  }
}

function taskRuns(kube: Kube): Map<string, TaskRun> {
  const list = JSON.parse(kubectlOk(kube, ["get", "taskruns", "-n", NAMESPACE, "-o", "json"])) as {
    items: TaskRun[];
  };
  return new Map(list.items.map((run) => [run.metadata.name ?? "", run]));
}

/** Waits until every example has finished (or is Scheduled), printing each phase change. */
export async function waitForExamples(kube: Kube, timeoutMs = 300_000): Promise<Map<string, TaskRun>> {
  const begin = Date.now();
  const seen = new Map<string, string>();
  for (;;) {
    const runs = taskRuns(kube);
    let pending = 0;
    for (const example of DEMO_EXAMPLES) {
      const phase = runs.get(example.taskRun)?.status?.phase ?? "Pending";
      if (seen.get(example.taskRun) !== phase) {
        seen.set(example.taskRun, phase);
        line(`    ${seconds(Date.now() - begin).padStart(7)}  ${example.taskRun.padEnd(32)} ${phase}`);
      }
      const done = example.scheduled ? phase === "Scheduled" : FINISHED.has(phase);
      if (!done) pending++;
    }
    if (pending === 0) return runs;
    if (Date.now() - begin > timeoutMs) {
      throw new Error(`${pending} example TaskRun(s) did not finish in ${seconds(timeoutMs)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface ExampleResult {
  taskRun: string;
  phase: string;
  record: { status: string; output?: unknown; error?: { type: string; message: string } } | null;
}

export async function readResults(state: DemoState, runs: Map<string, TaskRun>): Promise<ExampleResult[]> {
  const redis = new Redis(redisUrl(state), { password: state.redisPassword, maxRetriesPerRequest: 2 });
  try {
    const results: ExampleResult[] = [];
    for (const example of DEMO_EXAMPLES.filter((e) => !e.scheduled)) {
      const run = runs.get(example.taskRun);
      const key = run?.status?.resultRef;
      const stored = key ? await redis.get(key) : null;
      results.push({
        taskRun: example.taskRun,
        phase: run?.status?.phase ?? "unknown",
        record: stored ? JSON.parse(stored) : null,
      });
    }
    return results;
  } finally {
    redis.disconnect();
  }
}
