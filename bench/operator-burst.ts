// Benchmark (not a test): 1,000 TaskRuns of a no-op task → how fast the operator turns them into
// Jobs, side by side with 1,000 plain Jobs created directly in the same run. Reports TaskRun→Job
// latency p50/p99, time until all Jobs exist, API writes per attempt, and the operator's RSS; then
// the same latency for runs created one at a time (no queueing), again beside plain Jobs.
// Latency is to the Job's first watch event, from the TaskRun (or plain Job) being created (its
// create call answered) and, beside it, from the create call being sent. Both kinds are warmed up
// first: a fresh API server serves its first thousand custom resources about three times slower.
//   node bench/operator-burst.ts [--count 1000] [--concurrency 20] [--sequential 50] [--warmup 300]
// The operator inherits this process's environment: OPERATOR_WORKERS=64 or NODE_OPTIONS try settings.
// Pods are held back by a ResourceQuota (pods: 0): this measures the control path, not 2,000
// process starts on a shared two-core machine.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { KubeClient } from "../src/operator/kube/client.ts";
import { isNotFound } from "../src/operator/kube/errors.ts";
import { Informer } from "../src/operator/kube/informer.ts";
import type { Job } from "../src/operator/kube/objects.ts";
import { acquireCluster, releaseCluster } from "../test/cluster/cluster.ts";
import { applyCrds } from "../test/e2e/operator/crds.ts";
import { startOperator } from "../test/harness/operator.ts";
import { emitResult } from "./lib/child.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "20" },
    sequential: { type: "string", default: "50" },
    warmup: { type: "string", default: "300" },
  },
});
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const SEQUENTIAL = Number(values.sequential);
const WARMUP = Number(values.warmup);

const quiet = { info: () => {}, warn: (m: string, f?: object) => console.error(m, f) };
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const progress = (message: string) => process.stderr.write(`[operator-burst] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await work(i);
    }),
  );
}

function rssOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

const taskRun = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "tasks.synthetiq.io/v1alpha1",
  kind: "TaskRun",
  metadata: { name, labels },
  spec: { task: "testing.noop", input: {} },
});

const plainJob = (namespace: string, name: string, bench = "plain") => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace, labels: { bench } },
  spec: {
    backoffLimit: 0,
    template: {
      spec: {
        restartPolicy: "Never",
        securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "runner",
            image: "ghcr.io/synthetiq/tasks:0.1.0",
            command: ["node", "dist/runner.js"],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      },
    },
  },
});

async function main() {
  const cluster = await acquireCluster();
  const client = KubeClient.load(cluster.kubeconfig);
  const namespace = `bench-op-${Date.now().toString(36)}`;
  const jobsPath = `/apis/batch/v1/namespaces/${namespace}/jobs`;
  const taskRuns = `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`;
  let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  try {
    await applyCrds(client);
    await client.create("/api/v1/namespaces", { metadata: { name: namespace } });
    await client.create(`/api/v1/namespaces/${namespace}/resourcequotas`, {
      metadata: { name: "no-pods" },
      spec: { hard: { pods: "0" } },
    });

    // Every Job's first appearance, as a watcher in this process sees it.
    const seen = new Map<string, number>();
    const jobs = new Informer<Job>(client, { path: jobsPath, stallMs: 90_000, log: quiet });
    jobs.on((event, job) => {
      if (event === "added" && !seen.has(job.metadata.name ?? ""))
        seen.set(job.metadata.name ?? "", performance.now());
    });
    await jobs.start();
    /** Deletes a labelled collection and waits until it is gone. */
    const deleteAll = async (collection: string, labelSelector: string) => {
      await client.delete(collection, { labelSelector, propagationPolicy: "Background" });
      while ((await client.list<{ items: unknown[] }>(collection, { labelSelector })).items.length)
        await sleep(200);
    };
    /** Sorted latencies from each time in `from` (by Job name) to the Job's watch event. */
    const latenciesOf = (from: Map<string, number>) =>
      [...from].map(([job, t]) => (seen.get(job) ?? NaN) - t).sort((a, b) => a - b);
    /**
     * Creates `COUNT` objects, CONCURRENCY at a time, and waits for each one's Job. Returns when each
     * create call was sent and answered, and the times until all calls were answered and all Jobs seen.
     */
    const burst = async (create: (i: number) => Promise<string>) => {
      const sent = new Map<string, number>();
      const created = new Map<string, number>();
      const start = performance.now();
      await pool(COUNT, CONCURRENCY, async (i) => {
        const t = performance.now();
        const job = await create(i);
        sent.set(job, t);
        created.set(job, performance.now());
      });
      const createsDone = performance.now() - start;
      while ([...created.keys()].some((job) => !seen.has(job))) await sleep(20);
      const allJobs = Math.max(...[...created.keys()].map((job) => seen.get(job) ?? NaN)) - start;
      return { fromCreated: latenciesOf(created), fromSent: latenciesOf(sent), createsDone, allJobs };
    };
    /** Creates `count` objects one at a time, each once the previous one's Job has been seen. */
    const oneAtATime = async (count: number, create: (i: number) => Promise<string>) => {
      const created = new Map<string, number>();
      for (let i = 0; i < count; i++) {
        const job = await create(i);
        created.set(job, performance.now());
        while (!seen.has(job)) await sleep(2);
      }
      return latenciesOf(created);
    };

    progress(`namespace ${namespace}: warming up the API server with ${WARMUP} TaskRuns and ${WARMUP} Jobs`);
    await pool(WARMUP, CONCURRENCY, async (i) => {
      await client.create(taskRuns, taskRun(`warmup-${i}`, { bench: "warmup" }));
      await client.create(jobsPath, plainJob(namespace, `warmup-${i}`, "warmup"));
    });
    await deleteAll(taskRuns, "bench=warmup");
    await deleteAll(jobsPath, "bench=warmup");

    // 1. Plain Jobs, created directly.
    progress(`creating ${COUNT} plain Jobs`);
    const plain = await burst(async (i) => {
      await client.create(jobsPath, plainJob(namespace, `plain-${i}`));
      return `plain-${i}`;
    });
    const plainOneByOne = await oneAtATime(SEQUENTIAL, async (i) => {
      await client.create(jobsPath, plainJob(namespace, `seqplain-${i}`));
      return `seqplain-${i}`;
    });
    // The Job controller keeps retrying the held plain Jobs' pods: gone first, so that the TaskRun
    // phase does not share the API server with that load.
    progress(`plain Jobs all seen after ${(plain.allJobs / 1000).toFixed(2)} s; deleting them`);
    await deleteAll(jobsPath, "bench=plain");

    // 2. TaskRuns through the operator.
    progress("starting the operator");
    operator = await startOperator({
      kubeconfigPath: cluster.kubeconfig,
      redisUrl: "redis://127.0.0.1:6379",
      namespace,
      identity: "bench",
      env: { OPERATOR_LEADER_ELECTION: "true" },
    });
    const pid = operator.process.child.pid ?? 0;
    const requestsBefore = await requestsByVerb(operator.metricsUrl);
    const runs = await burst(async (i) => {
      await client.create(taskRuns, taskRun(`tr-${i}`));
      return `tr-${i}-a1`;
    });
    progress("all Jobs seen; waiting for the operator's writes to settle");
    // Let the status writes settle, then count what the operator wrote.
    let last = -1;
    for (let stable = 0; stable < 3; await sleep(1_000)) {
      const now = (await requestsByVerb(operator.metricsUrl)).writes;
      stable = now === last ? stable + 1 : 0;
      last = now;
    }
    const requestsAfter = await requestsByVerb(operator.metricsUrl);
    const rss = rssOf(pid);
    // Where the operator's time went: waiting in its work queue, or inside a reconcile (API calls).
    const metric = operator.metric;
    const mean = async (histogram: string) =>
      (1000 * (await metric(`${histogram}_sum`))) / (await metric(`${histogram}_count`));
    const passes = await metric("synthetiq_operator_workqueue_work_duration_seconds_count");
    const queueWaitMs = await mean("synthetiq_operator_workqueue_latency_seconds");
    const reconcileMs = await mean("synthetiq_operator_workqueue_work_duration_seconds");
    progress(`creating ${SEQUENTIAL} TaskRuns one at a time`);
    const runsOneByOne = await oneAtATime(SEQUENTIAL, async (i) => {
      await client.create(taskRuns, taskRun(`seqtr-${i}`));
      return `seqtr-${i}-a1`;
    });
    jobs.stop();
    const events = await client.list<{ items: unknown[] }>(`/api/v1/namespaces/${namespace}/events`, {
      fieldSelector: "involvedObject.kind=TaskRun",
    });
    const delta = (verb: string) => (requestsAfter.byVerb[verb] ?? 0) - (requestsBefore.byVerb[verb] ?? 0);
    const writes = requestsAfter.writes - requestsBefore.writes;
    const reads = delta("get") + delta("list");

    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const s = (x: number) => `${(x / 1000).toFixed(2)} s`;
    const row = (b: typeof plain, oneByOne: number[]) => ({
      "all Jobs exist": s(b.allJobs),
      "create calls done": s(b.createsDone),
      "created → Job p50": ms(percentile(b.fromCreated, 0.5)),
      "created → Job p99": ms(percentile(b.fromCreated, 0.99)),
      "sent → Job p50": ms(percentile(b.fromSent, 0.5)),
      "sent → Job p99": ms(percentile(b.fromSent, 0.99)),
      [`one at a time p50 (${SEQUENTIAL})`]: ms(percentile(oneByOne, 0.5)),
      [`one at a time p99 (${SEQUENTIAL})`]: ms(percentile(oneByOne, 0.99)),
    });
    console.log(
      `\noperator burst: ${COUNT} TaskRuns vs ${COUNT} plain Jobs, ${CONCURRENCY} creates in flight\n` +
        "created → Job: from the create call's answer (the object exists) to the Job's watch event;\n" +
        "sent → Job: from the create call being sent (for a plain Job, the create call plus its watch event)\n",
    );
    console.table({ "plain Jobs": row(plain, plainOneByOne), TaskRuns: row(runs, runsOneByOne) });
    console.log(
      `ratio (TaskRuns / plain Jobs, time until all ${COUNT} Jobs exist): ${(runs.allJobs / plain.allJobs).toFixed(2)}x`,
    );
    console.log(
      `operator API requests per TaskRun: ${(writes / COUNT).toFixed(2)} writes (create ${delta("create")}, update ${delta("update")}, patch ${delta("patch")}, delete ${delta("delete")}; of the creates, ${events.items.length} are Events), ${(reads / COUNT).toFixed(2)} reads`,
    );
    console.log(`operator RSS: ${rss.rssMb.toFixed(0)} MB now, ${rss.peakMb.toFixed(0)} MB peak`);
    console.log(
      `operator work queue: ${passes} reconcile passes, mean wait in the queue ${ms(queueWaitMs)}, mean reconcile ${ms(reconcileMs)}`,
    );
    console.log(
      `targets: p50 < 50 ms, p99 < 250 ms, all Jobs < 10 s, ≤ 4 writes per attempt, RSS < 150 MB (log: ${operator.process.logFile})`,
    );
    const round = (x: number) => Math.round(x * 10) / 10;
    emitResult({
      bench: "operator-burst",
      count: COUNT,
      createdToJobP50Ms: round(percentile(runs.fromCreated, 0.5)),
      createdToJobP99Ms: round(percentile(runs.fromCreated, 0.99)),
      sentToJobP50Ms: round(percentile(runs.fromSent, 0.5)),
      sentToJobP99Ms: round(percentile(runs.fromSent, 0.99)),
      allJobsSeconds: round(runs.allJobs / 1000),
      createsDoneSeconds: round(runs.createsDone / 1000),
      plainSentToJobP50Ms: round(percentile(plain.fromSent, 0.5)),
      plainSentToJobP99Ms: round(percentile(plain.fromSent, 0.99)),
      plainAllJobsSeconds: round(plain.allJobs / 1000),
      oneAtATimeP50Ms: round(percentile(runsOneByOne, 0.5)),
      plainOneAtATimeP50Ms: round(percentile(plainOneByOne, 0.5)),
      writesPerTaskRun: round(writes / COUNT),
      readsPerTaskRun: round(reads / COUNT),
      operatorRssMb: Math.round(rss.rssMb),
      operatorPeakRssMb: Math.round(rss.peakMb),
    });
  } finally {
    await operator?.stop();
    await client.delete(`/api/v1/namespaces/${namespace}`, { propagationPolicy: "Background" }).catch((e) => {
      if (!isNotFound(e)) console.error(String(e));
    });
    client.close();
    await releaseCluster(cluster.layout);
  }
  process.exit(0);
}

/** The operator's API requests by verb, leaving out leader-election Lease traffic (a steady renewal). */
async function requestsByVerb(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text();
  const byVerb: Record<string, number> = {};
  for (const m of text.matchAll(/^synthetiq_operator_api_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries(
      [...(m[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (labels.resource === "leases") continue;
    byVerb[labels.verb ?? ""] = (byVerb[labels.verb ?? ""] ?? 0) + Number(m[2]);
  }
  const writes = ["create", "update", "patch", "delete"].reduce((n, v) => n + (byVerb[v] ?? 0), 0);
  return { byVerb, writes };
}

await main();
