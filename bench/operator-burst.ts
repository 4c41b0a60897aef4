// Benchmark (not a test): 1,000 TaskRuns of a no-op task → how fast the operator turns them into
// Jobs, side by side with 1,000 plain Jobs created directly in the same run. Reports TaskRun→Job
// latency p50/p99, time until all Jobs exist, API writes per attempt, and the operator's RSS; then
// the same latency for runs created one at a time (no queueing), again beside plain Jobs.
// Latency is from the create call being sent to the Job's first watch event, for both paths.
//   node bench/operator-burst.ts [--count 1000] [--concurrency 20] [--sequential 50]
// Pods are held back by a ResourceQuota (pods: 0): this measures the control path, not 2,000
// process starts on a shared two-core machine.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isNotFound, KubeClient } from "../src/operator/kube/client.ts";
import { Informer } from "../src/operator/kube/informer.ts";
import type { Job } from "../src/operator/kube/objects.ts";
import { acquireCluster, releaseCluster } from "../test/cluster/cluster.ts";
import { applyCrds } from "../test/e2e/operator/crds.ts";
import { startOperator } from "../test/harness/operator.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "20" },
    sequential: { type: "string", default: "50" },
  },
});
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const SEQUENTIAL = Number(values.sequential);

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

const taskRun = (name: string) => ({
  apiVersion: "tasks.synthetiq.io/v1alpha1",
  kind: "TaskRun",
  metadata: { name },
  spec: { task: "testing.noop", input: {} },
});

const plainJob = (namespace: string, name: string) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace, labels: { bench: "plain" } },
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
            command: ["node", "src/runners/main.ts"],
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
    const jobs = new Informer<Job>(client, {
      path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
      stallMs: 90_000,
      log: quiet,
    });
    jobs.on((event, job) => {
      if (event === "added" && !seen.has(job.metadata.name ?? ""))
        seen.set(job.metadata.name ?? "", performance.now());
    });
    await jobs.start();
    const waitForJobs = async (prefix: string, n: number) => {
      while ([...seen.keys()].filter((k) => k.startsWith(prefix)).length < n) await sleep(20);
    };
    /** Sorted latencies from each create call being sent (`sent`, by Job name) to the Job's watch event. */
    const latenciesOf = (sent: Map<string, number>) =>
      [...sent].map(([job, t]) => (seen.get(job) ?? NaN) - t).sort((a, b) => a - b);
    /** Creates `count` objects one at a time, each only once the previous one's Job has been seen. */
    const oneAtATime = async (count: number, create: (i: number) => Promise<string>) => {
      const sent = new Map<string, number>();
      for (let i = 0; i < count; i++) {
        const t = performance.now();
        const job = await create(i);
        sent.set(job, t);
        while (!seen.has(job)) await sleep(2);
      }
      return latenciesOf(sent);
    };

    progress(`namespace ${namespace}: creating ${COUNT} plain Jobs`);
    // 1. Plain Jobs, created directly.
    const plainStart = performance.now();
    const plainSent = new Map<string, number>();
    await pool(COUNT, CONCURRENCY, async (i) => {
      plainSent.set(`plain-${i}`, performance.now());
      await client.create(`/apis/batch/v1/namespaces/${namespace}/jobs`, plainJob(namespace, `plain-${i}`));
    });
    await waitForJobs("plain-", COUNT);
    const plainAll =
      Math.max(...[...seen].filter(([k]) => k.startsWith("plain-")).map(([, t]) => t)) - plainStart;

    const plainLatencies = latenciesOf(plainSent);
    const plainOneByOne = await oneAtATime(SEQUENTIAL, async (i) => {
      await client.create(
        `/apis/batch/v1/namespaces/${namespace}/jobs`,
        plainJob(namespace, `seqplain-${i}`),
      );
      return `seqplain-${i}`;
    });

    progress(`plain Jobs all seen after ${(plainAll / 1000).toFixed(2)} s; starting the operator`);
    // 2. TaskRuns through the operator.
    operator = await startOperator({
      kubeconfigPath: cluster.kubeconfig,
      redisUrl: "redis://127.0.0.1:6379",
      namespace,
      identity: "bench",
      env: { OPERATOR_LEADER_ELECTION: "true" },
    });
    const pid = operator.process.child.pid ?? 0;
    const requestsBefore = await requestsByVerb(operator.metricsUrl);
    const taskRuns = `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`;
    const trSent = new Map<string, number>();
    const trStart = performance.now();
    await pool(COUNT, CONCURRENCY, async (i) => {
      trSent.set(`tr-${i}-a1`, performance.now());
      await client.create(taskRuns, taskRun(`tr-${i}`));
    });
    const createAll = performance.now() - trStart;
    progress(`${COUNT} TaskRuns created in ${(createAll / 1000).toFixed(2)} s; waiting for their Jobs`);
    await waitForJobs("tr-", COUNT);
    const trAll = Math.max(...[...seen].filter(([k]) => k.startsWith("tr-")).map(([, t]) => t)) - trStart;
    const latencies = latenciesOf(trSent);

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
    progress(`creating ${SEQUENTIAL} TaskRuns one at a time`);
    const trOneByOne = await oneAtATime(SEQUENTIAL, async (i) => {
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
    console.log(
      `\noperator burst: ${COUNT} TaskRuns vs ${COUNT} plain Jobs, ${CONCURRENCY} creates in flight\n`,
    );
    console.table({
      "plain Jobs": {
        "all Jobs exist": s(plainAll),
        "create calls done": "-",
        "p50 latency": ms(percentile(plainLatencies, 0.5)),
        "p99 latency": ms(percentile(plainLatencies, 0.99)),
        [`one at a time p50 (${SEQUENTIAL})`]: ms(percentile(plainOneByOne, 0.5)),
        [`one at a time p99 (${SEQUENTIAL})`]: ms(percentile(plainOneByOne, 0.99)),
      },
      TaskRuns: {
        "all Jobs exist": s(trAll),
        "create calls done": s(createAll),
        "p50 latency": ms(percentile(latencies, 0.5)),
        "p99 latency": ms(percentile(latencies, 0.99)),
        [`one at a time p50 (${SEQUENTIAL})`]: ms(percentile(trOneByOne, 0.5)),
        [`one at a time p99 (${SEQUENTIAL})`]: ms(percentile(trOneByOne, 0.99)),
      },
    });
    console.log(
      `ratio (TaskRuns / plain Jobs, time until all ${COUNT} Jobs exist): ${(trAll / plainAll).toFixed(2)}x`,
    );
    console.log(
      `operator API requests per TaskRun: ${(writes / COUNT).toFixed(2)} writes (create ${delta("create")}, update ${delta("update")}, patch ${delta("patch")}, delete ${delta("delete")}; of the creates, ${events.items.length} are Events), ${(reads / COUNT).toFixed(2)} reads`,
    );
    console.log(`operator RSS: ${rss.rssMb.toFixed(0)} MB now, ${rss.peakMb.toFixed(0)} MB peak`);
    console.log(
      `targets: p50 < 50 ms, p99 < 250 ms, all Jobs < 10 s, ≤ 4 writes per attempt, RSS < 150 MB (log: ${operator.process.logFile})`,
    );
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
