// Benchmark (not a test): TaskRuns of a no-op task → how fast the operator turns them into Jobs,
// beside plain Jobs created directly and beside the least any TaskRun → Job controller can do
// (bench/lib/relay-controller.ts: no validation, no status, a minimal Job), which is the lower bound
// on this cluster. Three loads: bursts (--concurrency creates in flight, each sent when the last
// was answered: 5, the burst the targets are checked on, and 20, which saturates a small control
// plane), a steady stream (--rate creates a second, each sent on time whatever the others do) and
// one at a time.
// Latency runs from the TaskRun (or plain Job) existing, its create call answered, to the Job
// existing: its create call answered (the operator's debug log, the relay's own clock), and to the
// Job's first watch event here. Both kinds are warmed up first: a fresh API server serves its first
// thousand custom resources about three times slower. Each controller, relay and operator, also
// turns a first burst of --controller-warmup TaskRuns into Jobs before its measured burst.
//   node bench/operator-burst.ts [--count 1000] [--concurrency 5,20] [--rate 50] [--sequential 50] [--warmup 300] [--controller-warmup 200]
// The operator inherits this process's environment: OPERATOR_WORKERS=64 or NODE_OPTIONS try settings.
// Pods are held back unscheduled (a scheduler that does not exist, bench/lib/minimal-job.ts): this
// measures the control path, not thousands of process starts on a shared two-core machine.
import { spawn } from "node:child_process";
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
import { controlPlaneOf, untilNoNamespaceTerminating } from "./lib/cluster.ts";
import { HOLD_SCHEDULER, minimalJob } from "./lib/minimal-job.ts";
import { ProcessSampler, type WatchedProcess } from "./lib/procstat.ts";
import { percentile } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "5,20" },
    rate: { type: "string", default: "50" },
    sequential: { type: "string", default: "50" },
    warmup: { type: "string", default: "300" },
    "controller-warmup": { type: "string", default: "200" },
  },
});
const COUNT = Number(values.count);
/** Burst levels, creates in flight: the first is the one the targets are checked on. */
const LEVELS = values.concurrency.split(",").map(Number);
if (LEVELS.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error(`--concurrency must be whole numbers >= 1, comma-separated (got "${values.concurrency}")`);
}
const [TARGET_LEVEL = 5] = LEVELS;
const RATE = Number(values.rate);
const SEQUENTIAL = Number(values.sequential);
const WARMUP = Number(values.warmup);
/**
 * TaskRuns each controller (relay and operator) turns into Jobs, in a burst, right after it starts
 * and before its measured burst: a process that has just started runs its first second cold (JIT,
 * new connections; the operator's Job creates then took a median 90–137 ms against 40–60 later),
 * and an operator in production has been running for a while.
 */
const CONTROLLER_WARMUP = Number(values["controller-warmup"]);
if (!Number.isInteger(CONTROLLER_WARMUP) || CONTROLLER_WARMUP < 0) {
  throw new Error(`--controller-warmup must be a whole number >= 0 (got "${values["controller-warmup"]}")`);
}

const quiet = { info: () => {}, warn: (m: string, f?: object) => console.error(m, f) };
const progress = (message: string) => process.stderr.write(`[operator-burst] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Epoch milliseconds with sub-millisecond precision: comparable with the operator's and relay's clocks. */
const now = () => performance.timeOrigin + performance.now();

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
  spec: { task: "testing.noop", input: {}, pod: { schedulerName: HOLD_SCHEDULER } },
});

/** CPU milliseconds per object of a burst, by process. */
type CpuPerObject = Record<"kube-apiserver" | "etcd" | "kube-controller-manager", number> & {
  controller?: number;
};

/** Per Job name, a time (epoch ms). */
type Times = Map<string, number>;

/** When the operator's create call for each Job was answered, from its debug log ("job created"). */
function jobsCreatedByOperator(logFile: string, namespace: string): Times {
  const created: Times = new Map();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line.includes('"job created"')) continue;
    const entry = JSON.parse(line) as { time: string; namespace?: string; job?: string };
    if (entry.namespace === namespace && entry.job) created.set(entry.job, Date.parse(entry.time));
  }
  return created;
}

/** Starts the relay controller (bench/lib/relay-controller.ts) on `namespace`; stop() returns its times. */
async function startRelay(kubeconfig: string, namespace: string) {
  const child = spawn(process.execPath, ["bench/lib/relay-controller.ts", kubeconfig, namespace], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      if (String(chunk).includes("relay ready")) resolve();
      else process.stderr.write(chunk);
    });
    void exited.then((code) => reject(new Error(`relay controller exited (${code}) before it was ready`)));
  });
  return {
    pid: child.pid ?? 0,
    async stop(): Promise<Times> {
      child.kill("SIGTERM");
      await exited;
      return new Map(Object.entries(JSON.parse(stdout) as Record<string, number>));
    },
  };
}

async function main() {
  const cluster = await acquireCluster();
  const client = KubeClient.load(cluster.kubeconfig);
  const namespace = `bench-op-${Date.now().toString(36)}`;
  const jobsPath = `/apis/batch/v1/namespaces/${namespace}/jobs`;
  const taskRuns = `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`;
  let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  try {
    await applyCrds(client);
    await untilNoNamespaceTerminating(client, progress);
    await client.create("/api/v1/namespaces", { metadata: { name: namespace } });

    // Every Job's first appearance, as a watcher in this process sees it.
    const watched: Times = new Map();
    const jobs = new Informer<Job>(client, { path: jobsPath, stallMs: 90_000, log: quiet });
    jobs.on((event, job) => {
      if (event === "added" && !watched.has(job.metadata.name ?? ""))
        watched.set(job.metadata.name ?? "", now());
    });
    await jobs.start();
    const untilEmpty = async (path: string, labelSelector?: string) => {
      while ((await client.list<{ items: unknown[] }>(path, { labelSelector, limit: 1 })).items.length)
        await sleep(200);
    };
    /** Deletes a labelled collection and waits until it is gone, and for Jobs, their pods too. */
    const deleteAll = async (collection: string, labelSelector: string) => {
      // One request that the API server works through object by object: 1,000 TaskRuns took over
      // the client's default 30 s once on this machine, and the API server ends a request at 60 s.
      // Cut off, it has deleted part of them: send it again for the rest.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.request("DELETE", collection, "delete", {
            query: { labelSelector, propagationPolicy: "Background" },
            timeoutMs: 90_000,
          });
          break;
        } catch (error) {
          if (attempt === 5) throw error;
          progress(`deleting ${collection} (${labelSelector || "all"}) again: ${String(error)}`);
        }
      }
      await untilEmpty(collection, labelSelector);
      if (collection === jobsPath) await untilEmpty(`/api/v1/namespaces/${namespace}/pods`);
    };
    // CPU of the control plane and of the controller under test, per object of a burst.
    const measuredComponents = new Set(["kube-apiserver", "etcd", "kube-controller-manager"]);
    const withCpu = async <T extends object>(controllerPid: number | undefined, work: () => Promise<T>) => {
      const watchedProcesses: WatchedProcess[] = [
        ...controlPlaneOf(cluster).filter((p) => measuredComponents.has(p.label)),
        ...(controllerPid ? [{ label: "controller", pid: controllerPid }] : []),
      ];
      const sampler = new ProcessSampler(watchedProcesses, 500).start();
      const result = await work();
      const cpuMs = Object.fromEntries(sampler.stop().map((u) => [u.label, (1000 * u.cpuSeconds) / COUNT]));
      return { ...result, cpuMs: cpuMs as CpuPerObject };
    };
    /** Latencies from each Job's time in `from` to its time in `to`. */
    const latencies = (from: Times, to: Times) => [...from].map(([job, t]) => (to.get(job) ?? NaN) - t);
    const plainJob = (name: string, bench: string) => minimalJob(namespace, name, { bench });

    /**
     * Creates `count` objects (COUNT unless given), in a burst (`level` in flight) or a steady stream (RATE a second),
     * and waits for each one's Job. Returns, by Job name, when each create call was sent and
     * answered, and the times until all calls were answered and all Jobs seen.
     */
    const load = async (
      kind: { burst: number } | "steady",
      create: (i: number) => Promise<string>,
      count = COUNT,
    ) => {
      const sent: Times = new Map();
      const created: Times = new Map();
      const start = now();
      const one = async (i: number) => {
        const t = now();
        const job = await create(i);
        sent.set(job, t);
        created.set(job, now());
      };
      if (kind !== "steady") await pool(count, kind.burst, one);
      else
        await Promise.all(
          Array.from({ length: count }, async (_, i) => {
            await sleep(Math.max(0, start + (i * 1000) / RATE - now()));
            await one(i);
          }),
        );
      const createsDone = now() - start;
      while ([...created.keys()].some((job) => !watched.has(job))) await sleep(20);
      const allJobs = Math.max(...[...created.keys()].map((job) => watched.get(job) ?? NaN)) - start;
      return { sent, created, createsDone, allJobs };
    };
    /** Creates `count` objects one at a time, each once the previous one's Job has been seen. */
    const oneAtATime = async (count: number, create: (i: number) => Promise<string>) => {
      const created: Times = new Map();
      for (let i = 0; i < count; i++) {
        const job = await create(i);
        created.set(job, now());
        while (!watched.has(job)) await sleep(2);
      }
      return latencies(created, watched);
    };
    const createTaskRun = (prefix: string, bench?: string) => async (i: number) => {
      await client.create(taskRuns, taskRun(`${prefix}-${i}`, bench ? { bench } : {}));
      return `${prefix}-${i}-a1`;
    };
    const createPlainJob = (prefix: string) => async (i: number) => {
      await client.create(jobsPath, plainJob(`${prefix}-${i}`, "plain"));
      return `${prefix}-${i}`;
    };

    /** A burst of CONTROLLER_WARMUP TaskRuns through the controller just started; then they and their Jobs go. */
    const warmUpController = async (prefix: string, bench?: string) => {
      await load({ burst: TARGET_LEVEL }, createTaskRun(`${prefix}-warmup`, bench), CONTROLLER_WARMUP);
      const selector = bench ? `bench=${bench}` : "";
      await deleteAll(taskRuns, selector);
      await deleteAll(jobsPath, selector);
    };

    progress(`namespace ${namespace}: warming up the API server with ${WARMUP} TaskRuns and ${WARMUP} Jobs`);
    await pool(WARMUP, TARGET_LEVEL, async (i) => {
      await client.create(taskRuns, taskRun(`warmup-${i}`, { bench: "warmup" }));
      await client.create(jobsPath, plainJob(`warmup-${i}`, "warmup"));
    });
    await deleteAll(taskRuns, "bench=warmup");
    await deleteAll(jobsPath, "bench=warmup");

    // 1. Plain Jobs, created directly.
    progress(
      `plain Jobs: bursts of ${COUNT} (${LEVELS.join(", ")} in flight), ${COUNT} at ${RATE}/s, ${SEQUENTIAL} one at a time`,
    );
    const plainBursts: Array<Awaited<ReturnType<typeof load>> & { cpuMs: CpuPerObject }> = [];
    for (const level of LEVELS) {
      plainBursts.push(
        await withCpu(undefined, () => load({ burst: level }, createPlainJob(`plain-b${level}`))),
      );
      await deleteAll(jobsPath, "bench=plain");
    }
    const plainSteady = await load("steady", createPlainJob("plain-s"));
    const plainOneByOne = await oneAtATime(SEQUENTIAL, createPlainJob("plain-o"));
    // The Job controller keeps retrying the held Jobs' pods: gone first, so that the next phase
    // does not share the API server with that load.
    await deleteAll(jobsPath, "bench=plain");

    // 2. TaskRuns through the relay controller: the lower bound.
    progress(`relay controller: bursts of ${COUNT} TaskRuns`);
    const relayBursts: Array<Awaited<ReturnType<typeof load>> & { cpuMs: CpuPerObject; jobsCreated: Times }> =
      [];
    for (const level of LEVELS) {
      const relay = await startRelay(cluster.kubeconfig, namespace);
      await warmUpController(`relay${level}`, "relay");
      const burst = await withCpu(relay.pid, () =>
        load({ burst: level }, createTaskRun(`relay${level}`, "relay")),
      );
      relayBursts.push({ ...burst, jobsCreated: await relay.stop() });
      await deleteAll(taskRuns, "bench=relay");
      await deleteAll(jobsPath, "bench=relay");
    }

    // 3. TaskRuns through the operator.
    progress(`operator: bursts of ${COUNT} TaskRuns (${LEVELS.join(", ")} in flight)`);
    operator = await startOperator({
      kubeconfigPath: cluster.kubeconfig,
      redisUrl: "redis://127.0.0.1:6379",
      namespace,
      identity: "bench",
      env: { OPERATOR_LEADER_ELECTION: "true", OPERATOR_DEBUG: "1" },
    });
    const pid = operator.process.child.pid ?? 0;
    /** Waits until the operator has made no write for three seconds in a row. */
    const { metricsUrl } = operator;
    const settle = async () => {
      let last = -1;
      for (let stable = 0; stable < 3; await sleep(1_000)) {
        const writes = (await requestsByVerb(metricsUrl)).writes;
        stable = writes === last ? stable + 1 : 0;
        last = writes;
      }
    };
    await warmUpController("tr");
    // The warm-up's last status writes and deletes are not the burst's.
    await settle();
    // Where the operator's time goes in the burst: waiting in its work queue, or inside a reconcile (API calls).
    const metric = operator.metric;
    const queueStats = async () => {
      const [passes, waitSum, workSum] = await Promise.all(
        [
          "synthetiq_operator_workqueue_work_duration_seconds_count",
          "synthetiq_operator_workqueue_latency_seconds_sum",
          "synthetiq_operator_workqueue_work_duration_seconds_sum",
        ].map((name) => metric(name)),
      );
      return { passes: passes ?? 0, waitSum: waitSum ?? 0, workSum: workSum ?? 0 };
    };
    const queueBefore = await queueStats();
    const requestsBefore = await requestsByVerb(operator.metricsUrl);
    const burst = await withCpu(pid, () => load({ burst: TARGET_LEVEL }, createTaskRun("tr-b")));
    // Status writes made while the burst lasted compete with its Job creates; the rest wait for it.
    const requestsInBurst = await requestsByVerb(operator.metricsUrl);
    progress("all Jobs seen; waiting for the operator's writes to settle");
    // Let the status writes settle, then count what the operator wrote.
    await settle();
    const requestsAfter = await requestsByVerb(operator.metricsUrl);
    const rss = rssOf(pid);
    const queueAfter = await queueStats();
    const passes = queueAfter.passes - queueBefore.passes;
    const queueWaitMs = (1000 * (queueAfter.waitSum - queueBefore.waitSum)) / passes;
    const reconcileMs = (1000 * (queueAfter.workSum - queueBefore.workSum)) / passes;
    // The Job controller keeps retrying the held pods of the burst's Jobs, with a growing backoff:
    // gone first (the TaskRuns take their Jobs with them), so that the steady stream runs alone.
    await deleteAll(taskRuns, "");
    await deleteAll(jobsPath, "");
    const operatorBursts = [burst];
    for (const level of LEVELS.slice(1)) {
      operatorBursts.push(await withCpu(pid, () => load({ burst: level }, createTaskRun(`tr-b${level}`))));
      await deleteAll(taskRuns, "");
      await deleteAll(jobsPath, "");
    }
    progress(`operator: ${COUNT} TaskRuns at ${RATE}/s, ${SEQUENTIAL} one at a time`);
    const steady = await load("steady", createTaskRun("tr-s"));
    const oneByOne = await oneAtATime(SEQUENTIAL, createTaskRun("tr-o"));
    jobs.stop();
    const operatorCreated = jobsCreatedByOperator(operator.process.logFile, namespace);
    const events = await client.list<{ items: unknown[] }>(`/api/v1/namespaces/${namespace}/events`, {
      fieldSelector: "involvedObject.kind=TaskRun",
    });
    const delta = (verb: string) => (requestsAfter.byVerb[verb] ?? 0) - (requestsBefore.byVerb[verb] ?? 0);
    const writes = requestsAfter.writes - requestsBefore.writes;
    const reads = delta("get") + delta("list");
    const statusWritesInBurst = (requestsInBurst.byVerb.update ?? 0) - (requestsBefore.byVerb.update ?? 0);

    // Per burst level, and per system: latencies (ms) and times (ms).
    const bursts = LEVELS.map((level, i) => {
      const plain = plainBursts[i]!;
      const relay = relayBursts[i]!;
      const op = operatorBursts[i]!;
      return {
        level,
        allJobs: { plain: plain.allJobs, relay: relay.allJobs, operator: op.allJobs },
        createsDone: { plain: plain.createsDone, relay: relay.createsDone, operator: op.createsDone },
        cpuMs: { plain: plain.cpuMs, relay: relay.cpuMs, operator: op.cpuMs },
        createdToCreated: {
          relay: latencies(relay.created, relay.jobsCreated),
          operator: latencies(op.created, operatorCreated),
        },
        createdToWatched: {
          plain: latencies(plain.created, watched),
          relay: latencies(relay.created, watched),
          operator: latencies(op.created, watched),
        },
        sentToWatched: {
          plain: latencies(plain.sent, watched),
          relay: latencies(relay.sent, watched),
          operator: latencies(op.sent, watched),
        },
      };
    });
    const steadyFigures = {
      createdToCreated: { operator: latencies(steady.created, operatorCreated) },
      createdToWatched: {
        plain: latencies(plainSteady.created, watched),
        operator: latencies(steady.created, watched),
      },
      oneByOne: { plain: plainOneByOne, operator: oneByOne },
    };
    type BySystem<T> = { plain?: T; relay?: T; operator?: T };
    const ms = (x: number) => (Number.isNaN(x) ? "–" : `${x.toFixed(1)} ms`);
    const s = (x: number | undefined) => (x === undefined ? "–" : `${(x / 1000).toFixed(2)} s`);
    const at = (sample: number[] | undefined, q: number) => (sample ? percentile(sample, q) : NaN);
    const latencyRow = (by: BySystem<number[]>, q: number) => ({
      "plain Jobs": ms(at(by.plain, q)),
      relay: ms(at(by.relay, q)),
      operator: ms(at(by.operator, q)),
    });
    const cpu = (c: CpuPerObject | undefined) =>
      c
        ? [c["kube-apiserver"], c.etcd, c["kube-controller-manager"], c.controller]
            .map((x) => (x === undefined ? "–" : x.toFixed(2)))
            .join(" / ")
        : "–";
    const cpuRow = (by: BySystem<CpuPerObject>) => ({
      "plain Jobs": cpu(by.plain),
      relay: cpu(by.relay),
      operator: cpu(by.operator),
    });
    const timeRow = (by: BySystem<number>) => ({
      "plain Jobs": s(by.plain),
      relay: s(by.relay),
      operator: s(by.operator),
    });
    console.log(
      `\noperator burst: ${COUNT} TaskRuns vs ${COUNT} plain Jobs, and vs the relay controller (the lower bound)\n` +
        `bursts: ${LEVELS.join(", ")} creates in flight (targets on ${TARGET_LEVEL}); steady: ${RATE} creates a second; created = the create call answered\n` +
        "→ created: the Job's create call answered; → watched: the Job's first watch event here\n",
    );
    console.table(
      Object.fromEntries([
        ...bursts.flatMap((b) => [
          [`burst ${b.level}: all Jobs exist`, timeRow(b.allJobs)],
          [`burst ${b.level}: create calls done`, timeRow(b.createsDone)],
          [`burst ${b.level}: created → created p50`, latencyRow(b.createdToCreated, 50)],
          [`burst ${b.level}: created → created p99`, latencyRow(b.createdToCreated, 99)],
          [`burst ${b.level}: created → watched p50`, latencyRow(b.createdToWatched, 50)],
          [`burst ${b.level}: created → watched p99`, latencyRow(b.createdToWatched, 99)],
          [`burst ${b.level}: sent → watched p50`, latencyRow(b.sentToWatched, 50)],
          [`burst ${b.level}: CPU ms per object: API server / etcd / KCM / controller`, cpuRow(b.cpuMs)],
        ]),
        [`steady ${RATE}/s: created → created p50`, latencyRow(steadyFigures.createdToCreated, 50)],
        [`steady ${RATE}/s: created → created p99`, latencyRow(steadyFigures.createdToCreated, 99)],
        [`steady ${RATE}/s: created → watched p50`, latencyRow(steadyFigures.createdToWatched, 50)],
        [`steady ${RATE}/s: created → watched p99`, latencyRow(steadyFigures.createdToWatched, 99)],
        [`one at a time (${SEQUENTIAL}): created → watched p50`, latencyRow(steadyFigures.oneByOne, 50)],
        [`one at a time (${SEQUENTIAL}): created → watched p99`, latencyRow(steadyFigures.oneByOne, 99)],
      ]),
    );
    for (const b of bursts) {
      console.log(
        `burst ${b.level}: time until all ${COUNT} Jobs exist, operator / plain Jobs ${(b.allJobs.operator / b.allJobs.plain).toFixed(2)}x, operator / relay ${(b.allJobs.operator / b.allJobs.relay).toFixed(2)}x`,
      );
    }
    console.log(
      `operator API requests per TaskRun in burst ${TARGET_LEVEL}: ${(writes / COUNT).toFixed(2)} writes (create ${delta("create")}, update ${delta("update")}, patch ${delta("patch")}, delete ${delta("delete")}; of the creates, ${events.items.length} are Events), ${(reads / COUNT).toFixed(2)} reads`,
    );
    console.log(
      `operator status writes in burst ${TARGET_LEVEL} until every Job existed: ${statusWritesInBurst} of ${delta("update")}`,
    );
    console.log(
      `operator RSS after burst ${TARGET_LEVEL}: ${rss.rssMb.toFixed(0)} MB, ${rss.peakMb.toFixed(0)} MB peak`,
    );
    console.log(
      `operator work queue in burst ${TARGET_LEVEL}: ${passes} reconcile passes, mean wait in the queue ${ms(queueWaitMs)}, mean reconcile ${ms(reconcileMs)}`,
    );
    const [target] = bursts;
    if (!target) throw new Error("no burst level");
    const checks = {
      "p50 < 50 ms": percentile(target.createdToCreated.operator, 50) < 50,
      "p99 < 250 ms": percentile(target.createdToCreated.operator, 99) < 250,
      "all Jobs < 10 s": target.allJobs.operator < 10_000,
      "≤ 4 writes per attempt": writes / COUNT <= 4,
      "RSS < 150 MB": rss.rssMb < 150,
    };
    console.log(
      `targets on burst ${TARGET_LEVEL}: ${Object.entries(checks)
        .map(([what, met]) => `${what} ${met ? "met" : "NOT met"}`)
        .join(", ")} (log: ${operator.process.logFile})`,
    );
    const round = (x: number) => Math.round(x * 10) / 10;
    const q = (sample: number[], p: number) => round(percentile(sample, p));
    const burstResult = (b: (typeof bursts)[number]) => ({
      concurrency: b.level,
      createdToCreatedP50Ms: q(b.createdToCreated.operator, 50),
      createdToCreatedP99Ms: q(b.createdToCreated.operator, 99),
      createdToWatchedP50Ms: q(b.createdToWatched.operator, 50),
      createdToWatchedP99Ms: q(b.createdToWatched.operator, 99),
      allJobsSeconds: round(b.allJobs.operator / 1000),
      createsDoneSeconds: round(b.createsDone.operator / 1000),
      relayCreatedToCreatedP50Ms: q(b.createdToCreated.relay, 50),
      relayCreatedToCreatedP99Ms: q(b.createdToCreated.relay, 99),
      relayAllJobsSeconds: round(b.allJobs.relay / 1000),
      plainSentToWatchedP50Ms: q(b.sentToWatched.plain, 50),
      plainAllJobsSeconds: round(b.allJobs.plain / 1000),
    });
    emitResult({
      bench: "operator-burst",
      count: COUNT,
      rate: RATE,
      /** The burst the targets are checked on, then the others. */
      bursts: bursts.map(burstResult),
      steadyCreatedToCreatedP50Ms: q(steadyFigures.createdToCreated.operator, 50),
      steadyCreatedToCreatedP99Ms: q(steadyFigures.createdToCreated.operator, 99),
      steadyPlainCreatedToWatchedP50Ms: q(steadyFigures.createdToWatched.plain, 50),
      oneAtATimeP50Ms: q(oneByOne, 50),
      plainOneAtATimeP50Ms: q(plainOneByOne, 50),
      writesPerTaskRun: round(writes / COUNT),
      statusWritesInBurst,
      readsPerTaskRun: round(reads / COUNT),
      operatorRssMb: Math.round(rss.rssMb),
      operatorPeakRssMb: Math.round(rss.peakMb),
    });
  } finally {
    await operator?.stop();
    await client.delete(`/api/v1/namespaces/${namespace}`, { propagationPolicy: "Background" }).catch((e) => {
      if (!isNotFound(e)) console.error(String(e));
    });
    await untilNoNamespaceTerminating(client, progress);
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
