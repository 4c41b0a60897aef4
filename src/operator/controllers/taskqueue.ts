// The TaskQueue controller: I/O and sequencing of admission and autoscaling. One work-queue key per
// queue serializes its admission, so two TaskRuns can never take the last slot at once. Counts come
// from the cluster's Jobs (informer cache); the token bucket is persisted in the TaskQueue's status
// before any Job is released, so neither a restart nor a new leader hands out a fresh burst.
import { isDeepStrictEqual } from "node:util";
import { decideAdmission, type Waiting } from "../admission/admit.ts";
import type { AdmissionGate } from "../admission/gate.ts";
import type { QueueMetrics } from "../admission/metrics.ts";
import { queueDefaults } from "../admission/queue-defaults.ts";
import { QUEUE_ANNOTATIONS, viewOf } from "../admission/queue-view.ts";
import type { BucketState, RateLimit } from "../admission/token-bucket.ts";
import { GROUP, LABELS, VERSION } from "../api/common.ts";
import type { TaskQueueSpec, TaskQueueStatus } from "../api/taskqueue.ts";
import { queryNumber } from "../autoscaler/prometheus.ts";
import { type Reading, type Recommendation, recommend, type ScalingResult } from "../autoscaler/recommend.ts";
import type { OperatorConfig } from "../config.ts";
import { Caches, cacheSettings } from "../kube/caches.ts";
import type { KubeClient } from "../kube/client.ts";
import { isConflict, isNotFound } from "../kube/errors.ts";
import { keyOf } from "../kube/informer.ts";
import type { Job, KubeObject } from "../kube/objects.ts";
import { WorkQueue } from "../kube/workqueue.ts";
import type { Logger } from "../log.ts";
import { setCondition } from "../status.ts";

const BASE = `/apis/${GROUP}/${VERSION}`;
const DEFAULT_POLLING_SECONDS = 15;

const WAITING_REASONS = ["QueueFull", "RateLimited"] as const;

/** What one TaskQueue adds to its queue's series. */
interface QueueFigures {
  pending: number;
  running: number;
  oldest: number;
  waiting: Record<(typeof WAITING_REASONS)[number], number>;
  /** Infinity: no limit. */
  concurrency: number;
}

export interface TaskQueue extends KubeObject {
  spec: TaskQueueSpec;
  status?: TaskQueueStatus;
}

export interface TaskQueueControllerDeps {
  client: KubeClient;
  config: OperatorConfig;
  metrics: QueueMetrics;
  log: Logger;
  /**
   * The attempt Jobs, indexed `queue` (and `taskRun`): one cache shared with the TaskRun
   * controller, which main.ts owns (this controller waits for it to sync but never stops it).
   */
  jobs: Caches<Job>;
  /** A waiting TaskRun's reason or position changed: reconcile it (its namespace/name key). */
  onWaitingChanged?: (taskRunKey: string) => void;
  /** A waiting run's position is rewritten at most this often unless its reason changes. */
  positionRefreshMs?: number;
  query?: (address: string, query: string) => Promise<Reading>;
  now?: () => Date;
}

interface Published {
  reason: string;
  position: number;
  at: number;
}

interface Scaler {
  /** Undefined until its first evaluation (recommend() seeds it). */
  history: readonly Recommendation[] | undefined;
  result?: ScalingResult;
  nextPollAt: number;
  inFlight: boolean;
}

/** The concurrency a queue admits up to now; Infinity without concurrency bounds. */
export function concurrencyOf(spec: TaskQueueSpec, status: TaskQueueStatus | undefined, scaled?: number) {
  if (!spec.concurrency) return Number.POSITIVE_INFINITY;
  const { min, max } = spec.concurrency;
  if (!spec.autoscaling) return max;
  return Math.min(max, Math.max(min, scaled ?? status?.concurrency ?? min));
}

export function rateLimitOf(spec: TaskQueueSpec): RateLimit | undefined {
  const r = spec.rateLimit;
  return r ? { perSecond: r.perSecond, burst: r.burst ?? Math.max(1, Math.ceil(r.perSecond)) } : undefined;
}

const toIso = (ms: number) => new Date(ms).toISOString();

export class TaskQueueController implements AdmissionGate {
  readonly queue: WorkQueue;
  private readonly queues: Caches<TaskQueue>;
  private readonly jobs: Caches<Job>;
  private readonly waiting = new Map<string, Map<string, Waiting>>();
  /** Per queue key: the place each waiting Job's TaskRun was last woken up with. */
  private readonly published = new Map<string, Map<string, Published>>();
  /** Keys of Jobs released by this process that the cache may still show suspended. */
  private readonly released = new Set<string>();
  private readonly scalers = new Map<string, Scaler>();
  /** Per TaskQueue (namespace/name), what its queue's series add up from. */
  private readonly aggregates = new Map<string, QueueFigures>();
  private readonly deps: TaskQueueControllerDeps;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(deps: TaskQueueControllerDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    this.queue = new WorkQueue();
    this.queues = new Caches<TaskQueue>(deps.client, cacheSettings(deps.config, deps.log), {
      resource: "taskqueues",
      base: BASE,
      plural: "taskqueues",
    });
    this.jobs = deps.jobs;
    this.queues.on((_e, tq) => this.queue.add(keyOf(tq)));
    // Only a governed queue, or a suspended Job whose queue is gone (to release it), has work to do:
    // the Jobs of ungoverned queues (most of them) never cost a scan of their queue.
    this.jobs.on((event, job) => {
      // The cache has caught up with a Job this process released, or the Job is gone.
      if (event === "deleted" || !job.spec?.suspend) this.released.delete(keyOf(job));
      const queue = job.metadata.labels?.[LABELS.queue];
      const namespace = job.metadata.namespace ?? "";
      if (queue && (this.taskQueue(namespace, queue) || job.spec?.suspend))
        this.queue.add(`${namespace}/${queue}`);
    });
  }

  async start() {
    await Promise.all([this.queues.start(), this.jobs.start()]);
    for (const tq of this.queues.list()) this.queue.add(keyOf(tq));
    this.timer = setInterval(() => this.pollScalers(), 1_000);
    this.timer.unref();
    this.running = this.queue.run(1, (key) => this.handle(key));
  }

  async stop() {
    clearInterval(this.timer);
    this.queue.shutDown();
    this.queues.stop();
    await this.running;
  }

  get cachesSynced() {
    return this.queues.hasSynced && this.jobs.hasSynced;
  }

  private taskQueue(namespace: string, name: string): TaskQueue | undefined {
    return this.queues.get(namespace, name);
  }

  /** The queue's Jobs from the cache, with the ones this process released (and the cache does not
   * show yet) seen as released: a stale cache may undercount busy slots, never overcount free ones. */
  private jobsOf(key: string): Job[] {
    return this.jobs
      .byIndex("queue", key)
      .map((job) =>
        job.spec?.suspend && this.released.has(keyOf(job))
          ? { ...job, spec: { ...job.spec, suspend: false } }
          : job,
      );
  }

  manages(namespace: string, queue: string): boolean {
    const tq = this.taskQueue(namespace, queue);
    return tq !== undefined && !tq.metadata.deletionTimestamp;
  }

  defaultsOf(namespace: string, queue: string) {
    const tq = this.taskQueue(namespace, queue);
    return tq ? queueDefaults(tq.spec) : undefined;
  }

  waitingOf(namespace: string, queue: string, job: string): Waiting | undefined {
    return this.waiting.get(`${namespace}/${queue}`)?.get(job);
  }

  private async handle(key: string) {
    try {
      await this.reconcile(key);
      this.queue.forget(key);
    } catch (error) {
      this.deps.log[isConflict(error) ? "debug" : "warn"]("queue reconcile failed, retrying with backoff", {
        taskQueue: key,
        error: String(error),
      });
      this.queue.addRateLimited(key);
    }
  }

  async reconcile(key: string) {
    const [namespace, name] = key.split("/") as [string, string];
    const now = this.now().getTime();
    const tq = this.taskQueue(namespace, name);
    const jobs = this.jobsOf(key);
    if (!tq || tq.metadata.deletionTimestamp) {
      // No queue governs these Jobs any more: nothing holds them back.
      for (const job of jobs) if (job.spec?.suspend) await this.release(job, now, name);
      this.waiting.delete(key);
      this.published.delete(key);
      this.forgetMetrics(key, name);
      return;
    }
    const view = viewOf(jobs);
    const scaler = this.scalers.get(key);
    const concurrency = concurrencyOf(tq.spec, tq.status, scaler?.result?.concurrency);
    const rateLimit = rateLimitOf(tq.spec);
    const persisted = tq.status?.tokenBucket;
    const bucket: BucketState | undefined = persisted
      ? { tokens: persisted.tokens, at: Date.parse(persisted.time) }
      : undefined;
    const decision = decideAdmission({
      view,
      concurrency,
      ...(rateLimit ? { rateLimit } : {}),
      ...(bucket ? { bucket } : {}),
      now,
    });

    const status = this.statusOf(tq, {
      pending: decision.waiting.length,
      admitted: view.admitted + decision.release.length,
      running: view.running,
      concurrency,
      scaled: tq.spec.autoscaling ? scaler?.result : undefined,
      bucket: decision.release.length && decision.bucket ? decision.bucket : undefined,
      now,
    });
    // Status (with the spent tokens) first: a crash after it loses tokens, never adds a burst.
    await this.writeStatus(tq, status);
    const byName = new Map(jobs.map((j) => [j.metadata.name ?? "", j]));
    for (const jobName of decision.release) {
      const job = byName.get(jobName);
      if (job) await this.release(job, now, name);
    }

    this.publishWaiting(key, namespace, decision.waiting, byName, now);
    this.recordMetrics(key, name, view, decision.waiting, concurrency, now);
    if (decision.retryAt !== undefined) this.queue.addAfter(key, decision.retryAt - now + 5);
  }

  private statusOf(
    tq: TaskQueue,
    facts: {
      pending: number;
      admitted: number;
      running: number;
      concurrency: number;
      scaled: ScalingResult | undefined;
      bucket: BucketState | undefined;
      now: number;
    },
  ): TaskQueueStatus {
    const previous = tq.status ?? {};
    const status: TaskQueueStatus = structuredClone(previous);
    const generation = tq.metadata.generation ?? 0;
    status.observedGeneration = generation;
    status.pending = facts.pending;
    status.admitted = facts.admitted;
    status.running = facts.running;
    if (Number.isFinite(facts.concurrency)) status.concurrency = facts.concurrency;
    else delete status.concurrency;
    if (facts.bucket) status.tokenBucket = { tokens: facts.bucket.tokens, time: toIso(facts.bucket.at) };
    if (!tq.spec.rateLimit) delete status.tokenBucket;
    const scaled = facts.scaled;
    if (scaled) {
      status.conditions ??= [];
      setCondition(
        status.conditions,
        {
          type: "ScalingActive",
          status: scaled.active ? "True" : "False",
          reason: scaled.active ? "ValidMetricFound" : scaled.reason,
          message: scaled.message.slice(0, 1024),
          observedGeneration: generation,
        },
        new Date(facts.now),
      );
      if (previous.concurrency !== undefined && previous.concurrency !== facts.concurrency) {
        status.lastScale = {
          time: toIso(facts.now).replace(/\.\d{3}Z$/, "Z"),
          from: previous.concurrency,
          to: facts.concurrency,
          reason: `${scaled.reason}: ${scaled.message}`.slice(0, 1024),
        };
      }
    }
    return status;
  }

  private async writeStatus(tq: TaskQueue, status: TaskQueueStatus) {
    if (isDeepStrictEqual(tq.status ?? {}, status)) return;
    const updated = await this.deps.client.replace<TaskQueue>(
      `${BASE}/namespaces/${tq.metadata.namespace}/taskqueues/${tq.metadata.name}/status`,
      { ...tq, status },
    );
    this.queues.observe(updated);
  }

  private async release(job: Job, now: number, queue: string) {
    const path = `/apis/batch/v1/namespaces/${job.metadata.namespace}/jobs/${job.metadata.name}`;
    try {
      const updated = await this.deps.client.mergePatch<Job>(path, {
        metadata: { annotations: { [QUEUE_ANNOTATIONS.admittedAt]: toIso(now) } },
        spec: { suspend: false },
      });
      this.released.add(keyOf(job));
      this.jobs.observe(updated);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const queuedAt = Date.parse(job.metadata.annotations?.[QUEUE_ANNOTATIONS.queuedAt] ?? "");
    if (Number.isFinite(queuedAt)) {
      this.deps.metrics.admissionWait.observe({ queue }, Math.max(0, now - queuedAt) / 1000);
    }
    this.deps.metrics.admissions.inc({ queue });
  }

  /** Remembers each waiting Job's place and wakes its TaskRun when the reason or (at most every
   * positionRefreshMs) the position changed, so rewriting positions stays bounded. */
  private publishWaiting(
    key: string,
    namespace: string,
    waiting: readonly Waiting[],
    jobs: Map<string, Job>,
    now: number,
  ) {
    const refreshMs = this.deps.positionRefreshMs ?? 5_000;
    this.waiting.set(key, new Map(waiting.map((w) => [w.name, w])));
    const before = this.published.get(key) ?? new Map<string, Published>();
    const after = new Map<string, Published>();
    for (const w of waiting) {
      const last = before.get(w.name);
      const changed =
        !last || last.reason !== w.reason || (last.position !== w.position && now - last.at >= refreshMs);
      after.set(w.name, changed || !last ? { reason: w.reason, position: w.position, at: now } : last);
      const run = jobs.get(w.name)?.metadata.labels?.[LABELS.taskRun];
      if (changed && run) this.deps.onWaitingChanged?.(`${namespace}/${run}`);
    }
    this.published.set(key, after);
  }

  private recordMetrics(
    key: string,
    queue: string,
    view: ReturnType<typeof viewOf>,
    waiting: readonly Waiting[],
    concurrency: number,
    now: number,
  ) {
    this.aggregates.set(key, {
      pending: view.waiting.length + view.admitted,
      running: view.running,
      oldest: view.oldestWaitingSince === undefined ? 0 : Math.max(0, now - view.oldestWaitingSince) / 1000,
      waiting: Object.fromEntries(
        WAITING_REASONS.map((reason) => [reason, waiting.filter((w) => w.reason === reason).length]),
      ) as QueueFigures["waiting"],
      concurrency,
    });
    this.publishQueueSeries(queue);
  }

  /**
   * One series per queue name: TaskQueues of the same name in several namespaces add up. With none
   * left, the queue's series go.
   */
  private publishQueueSeries(queue: string) {
    const m = this.deps.metrics;
    const same = [...this.aggregates].filter(([k]) => k.endsWith(`/${queue}`)).map(([, a]) => a);
    if (same.length === 0) {
      for (const g of [m.pending, m.running, m.oldestWaiting, m.concurrency]) g.remove({ queue });
      for (const reason of WAITING_REASONS) m.waiting.remove({ queue, reason });
      return;
    }
    const sum = (of: (a: QueueFigures) => number) => same.reduce((s, a) => s + of(a), 0);
    const pending = sum((a) => a.pending);
    const running = sum((a) => a.running);
    m.pending.set({ queue }, pending);
    m.running.set({ queue }, running);
    m.oldestWaiting.set({ queue }, Math.max(0, ...same.map((a) => a.oldest)));
    for (const reason of WAITING_REASONS) {
      const waitingFor = sum((a) => a.waiting[reason]);
      m.waiting.set({ queue, reason }, waitingFor);
    }
    // Unlimited anywhere: no bound to show.
    const total = sum((a) => a.concurrency);
    if (Number.isFinite(total)) m.concurrency.set({ queue }, total);
    else m.concurrency.remove({ queue });
  }

  private forgetMetrics(key: string, queue: string) {
    this.aggregates.delete(key);
    this.scalers.delete(key);
    // The others of that name, if any, still add up, without this one.
    this.publishQueueSeries(queue);
  }

  /** Starts the evaluations that are due; each ends by requeueing its queue's key. */
  private pollScalers() {
    const now = this.now().getTime();
    for (const tq of this.queues.list()) {
      const key = keyOf(tq);
      if (!tq.spec.autoscaling || !tq.spec.concurrency) {
        this.scalers.delete(key);
        continue;
      }
      const scaler = this.scalers.get(key) ?? { history: undefined, nextPollAt: now, inFlight: false };
      this.scalers.set(key, scaler);
      if (scaler.inFlight || now < scaler.nextPollAt) continue;
      scaler.inFlight = true;
      scaler.nextPollAt = now + (tq.spec.autoscaling.pollingSeconds ?? DEFAULT_POLLING_SECONDS) * 1000;
      void this.evaluate(tq, scaler).finally(() => {
        scaler.inFlight = false;
        this.queue.add(key);
      });
    }
  }

  private async evaluate(tq: TaskQueue, scaler: Scaler) {
    const autoscaling = tq.spec.autoscaling;
    const bounds = tq.spec.concurrency;
    if (!autoscaling || !bounds) return;
    const query = this.deps.query ?? queryNumber;
    const [readings, brake] = await Promise.all([
      Promise.all(autoscaling.metrics.map((m) => query(autoscaling.prometheusUrl, m.query))),
      autoscaling.brake
        ? query(autoscaling.prometheusUrl, autoscaling.brake.query)
        : Promise.resolve(undefined),
    ]);
    const current = concurrencyOf(tq.spec, tq.status, scaler.result?.concurrency);
    const result = recommend({
      policy: {
        metrics: autoscaling.metrics,
        min: bounds.min,
        max: bounds.max,
        ...(autoscaling.tolerance !== undefined ? { tolerance: autoscaling.tolerance } : {}),
        ...(autoscaling.scaleUpStabilizationSeconds !== undefined
          ? { scaleUpStabilizationSeconds: autoscaling.scaleUpStabilizationSeconds }
          : {}),
        ...(autoscaling.scaleDownStabilizationSeconds !== undefined
          ? { scaleDownStabilizationSeconds: autoscaling.scaleDownStabilizationSeconds }
          : {}),
        ...(autoscaling.brake ? { brakeThreshold: autoscaling.brake.threshold } : {}),
      },
      current,
      readings,
      ...(brake ? { brake } : {}),
      history: scaler.history,
      now: this.now().getTime(),
    });
    const previous = scaler.result;
    scaler.history = result.history;
    scaler.result = result;
    this.deps.metrics.scaleDecisions.inc({ queue: tq.metadata.name ?? "", reason: result.reason });
    // Log changes only: a held value is re-evaluated every pollingSeconds.
    if (result.concurrency !== current || result.reason !== previous?.reason) {
      this.deps.log[result.active ? "info" : "warn"]("queue scaling", {
        taskQueue: keyOf(tq),
        from: current,
        to: result.concurrency,
        reason: result.reason,
        detail: result.message,
      });
    }
  }
}
