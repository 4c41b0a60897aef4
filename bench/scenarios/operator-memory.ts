// Scenario 3: the operator's memory with many TaskRuns present. TaskRuns of testing.noop with a
// runAt a week ahead (held: Waiting/NotYetDue, no Job may start) are created while the operator
// runs; once its API writes settle, its RSS is read. The namespace is deleted at the end.
// Target (issue 10): under 150 MB RSS with 10,000 TaskRuns.

import { startRedis } from "../../test/harness/services.ts";
import { openBenchCluster } from "../lib/cluster.ts";
import { ProcessSampler } from "../lib/procstat.ts";
import { redisServerPid } from "../lib/redis-pid.ts";
import { type Scenario, unavailableRow } from "../lib/report.ts";

export interface OperatorMemoryOptions {
  count: number;
  concurrency: number;
  /** Bound for creating the TaskRuns and for the operator to settle. */
  timeoutMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs work(0..count-1) with `concurrency` in flight until done or the deadline; returns how many ran. */
async function pool(
  count: number,
  concurrency: number,
  deadline: number,
  work: (i: number) => Promise<void>,
) {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count && Date.now() < deadline; i = next++) {
        await work(i);
        done++;
      }
    }),
  );
  return done;
}

export async function operatorMemoryScenario(options: OperatorMemoryOptions): Promise<Scenario> {
  const started = performance.now();
  const system = `operator with ${options.count.toLocaleString("en")} held TaskRuns`;
  const scenario = (rows: Scenario["rows"], notes: string[] = []): Scenario => ({
    id: "3",
    title: "Operator memory with many TaskRuns present (target < 150 MB RSS at 10,000)",
    rows,
    notes,
    seconds: Math.round((performance.now() - started) / 1000),
  });
  let bench: Awaited<ReturnType<typeof openBenchCluster>>;
  try {
    bench = await openBenchCluster("bench-mem");
  } catch (error) {
    return scenario([
      unavailableRow(system, `not available: the local cluster did not start (${(error as Error).message})`),
    ]);
  }
  const redis = await startRedis();
  try {
    const operator = await bench.startOperator(redis.url);
    const pid = operator.process.child.pid ?? -1;
    const sampler = new ProcessSampler([
      { label: "operator", pid },
      ...bench.controlPlane().filter((p) => p.label === "kube-apiserver" || p.label === "etcd"),
      { label: "redis-server", pid: await redisServerPid(redis.url) },
    ]).start();
    const rssBefore =
      new ProcessSampler([{ label: "operator", pid }]).start().stop()[0]?.peakRssMb ?? Number.NaN;
    const deadline = Date.now() + options.timeoutMs;
    const runAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const createStart = performance.now();
    const created = await pool(options.count, options.concurrency, deadline, async (i) => {
      await bench.client.create(`/apis/tasks.synthetiq.io/v1alpha1/namespaces/${bench.namespace}/taskruns`, {
        apiVersion: "tasks.synthetiq.io/v1alpha1",
        kind: "TaskRun",
        metadata: { name: `held-${i}` },
        spec: { task: "testing.noop", input: {}, runAt },
      });
    });
    const createSeconds = (performance.now() - createStart) / 1000;
    // Settled: every TaskRun has a phase (the operator's leader Lease keeps writing, so API write
    // counts never go quiet).
    const path = `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${bench.namespace}/taskruns`;
    let withPhase = 0;
    while (withPhase < created && Date.now() < deadline) {
      await sleep(2_000);
      const list = await bench.client.list<{ items: Array<{ status?: { phase?: string } }> }>(path);
      withPhase = list.items.filter((t) => t.status?.phase).length;
    }
    const settled = withPhase >= created;
    await sleep(3_000);
    const settleSeconds = (performance.now() - createStart) / 1000 - createSeconds;
    const steady = new ProcessSampler([{ label: "operator", pid }]).start().stop()[0];
    const usage = sampler.stop();
    const jobs = await bench.client.list<{ items: unknown[] }>(
      `/apis/batch/v1/namespaces/${bench.namespace}/jobs`,
    );
    return scenario(
      [
        {
          system,
          figures: {
            "TaskRuns created": created,
            "create s": Math.round(createSeconds * 10) / 10,
            "settle s": settled
              ? Math.round(settleSeconds * 10) / 10
              : `not settled in ${options.timeoutMs / 1000} s`,
            "RSS before MB": rssBefore,
            "RSS settled MB": steady?.peakRssMb ?? Number.NaN,
            "peak RSS MB": usage[0]?.peakRssMb ?? Number.NaN,
            "TaskRuns with a phase": withPhase,
            "operator API writes": await operator.metric("synthetiq_operator_api_requests_total"),
            "Jobs created (must be 0)": jobs.items.length,
          },
          processes: usage,
        },
      ],
      [
        `runAt ${runAt} (a week ahead: under Node's 24.8-day timer limit), ${options.concurrency} creates in flight, operator watching this one namespace.`,
      ],
    );
  } catch (error) {
    return scenario([unavailableRow(system, `not available: ${(error as Error).message.split("\n")[0]}`)]);
  } finally {
    await bench.close();
    await redis.stop();
  }
}
