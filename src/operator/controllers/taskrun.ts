// The TaskRun controller: I/O and sequencing only. It watches TaskRuns, their attempt Jobs and
// Pods, and the slot Jobs of schedules; for each key it reads the cache, asks the pure modules
// (status.ts, policies.ts, schedule.ts, resources/*) what to do, and does it: Job first, status after,
// so a crash in between is healed by the deterministic Job name on the next pass.
import { isDeepStrictEqual } from "node:util";
import type { AdmissionGate } from "../admission/gate.ts";
import { mergePodOverrides, queueEnv } from "../admission/queue-defaults.ts";
import { queueAnnotations } from "../admission/queue-view.ts";
import { applyAdmission, ungovernedStatus } from "../admission/waiting.ts";
import { API_VERSION, GROUP, LABELS, VERSION } from "../api/common.ts";
import type { TaskRun, TaskRunStatus } from "../api/taskrun.ts";
import { effectiveRetry } from "../backoff.ts";
import type { OperatorConfig } from "../config.ts";
import { byLabel, Caches, cacheSettings } from "../kube/caches.ts";
import type { KubeClient } from "../kube/client.ts";
import { Congestion } from "../kube/congestion.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../kube/errors.ts";
import { keyOf } from "../kube/informer.ts";
import type { CronJob, Job, Pod } from "../kube/objects.ts";
import { WorkQueue } from "../kube/workqueue.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { buildCronJob, cronJobDrifted } from "../resources/cronjob.ts";
import { buildJob, effectiveTimeouts } from "../resources/job.ts";
import {
  checkSchedule,
  childRunOf,
  childrenToPrune,
  childrenToReplace,
  childTaskRun,
  scheduleStatus,
  slotTimeOf,
} from "../schedule.ts";
import {
  attemptOfJob,
  decide,
  isFinished,
  jobLane,
  podEventMatters,
  type RunDecision,
  type RunEvent,
  setCondition,
  taskRunLane,
} from "../status.ts";
import { checkInput, type TaskCatalog } from "../tasks.ts";

const TASKRUNS = `/apis/${GROUP}/${VERSION}`;
const nsPath = (base: string, namespace: string | undefined, plural: string) =>
  `${base}/namespaces/${namespace ?? "default"}/${plural}`;

export interface TaskRunControllerDeps {
  client: KubeClient;
  config: OperatorConfig;
  catalog: TaskCatalog;
  metrics: Metrics;
  log: Logger;
  /** Builds the Redis key of a TaskRun attempt's result record. */
  resultKey: (run: { namespace: string; name: string }, attempt: number) => string;
  /** Queue admission: attempts of a governed queue start suspended until their queue admits them. */
  admission?: AdmissionGate;
  /**
   * The attempt Jobs, indexed `taskRun` (and `queue`): one cache shared with the TaskQueue
   * controller, which main.ts owns (this controller waits for it to sync but never stops it).
   */
  jobs: Caches<Job>;
  now?: () => Date;
}

export class TaskRunController {
  readonly queue: WorkQueue;
  private readonly taskRuns: Caches<TaskRun>;
  private readonly jobs: Caches<Job>;
  private readonly slotJobs: Caches<Job>;
  private readonly pods: Caches<Pod>;
  private readonly now: () => Date;
  private gaugeTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly deps: TaskRunControllerDeps;
  /** The resourceVersion of each run's own status write, until its watch event comes back. */
  private readonly ownStatusWrites = new Map<string, string>();
  /** How long Job creates take against their base: whether status writes should wait (above). */
  private readonly jobCreates = new Congestion();

  constructor(deps: TaskRunControllerDeps) {
    this.deps = deps;
    const { client, config, metrics, log } = deps;
    this.now = deps.now ?? (() => new Date());
    // Bookkeeping (status writes) takes at most a quarter of the workers, and waits while any new
    // run's Job is still being created, for up to 15 s. A status write costs the API server two to
    // three times a TaskRun create, so in a burst it slows every Job create: with status writes held
    // only while 8 creates were in flight, a burst of 1,000 at 5 in flight took 2.1-2.6x the relay
    // controller's time (bench/operator-burst.ts), 1.5-1.9x with this. What still went in the gaps
    // between creates (about half of the burst's status writes) now waits too while Job creates
    // queue at the API server (their time against their own base), until creates have stopped for
    // a second; when they do not queue, status writes go one at a time beside the creates, so that
    // a held-back batch never lands on them all at once. Status of a run shows up at most 15 s late
    // in a burst; outside bursts, at once.
    this.queue = new WorkQueue({
      metrics: metrics.workQueue,
      maxNormalInFlight: Math.max(1, Math.floor(config.workers / 4)),
      holdNormalAtFirstInFlight: 1,
      maxNormalInFlightWhileBusy: 1,
      yieldNormalWhile: () => this.jobCreates.congested(performance.now()),
      promoteAfterMs: 15_000,
    });
    const settings = cacheSettings(config, log, (resource, cause) =>
      metrics.watchRestarts.inc({ resource, cause }),
    );
    // Every TaskRun, and child TaskRuns by their schedule.
    this.taskRuns = new Caches<TaskRun>(client, settings, {
      resource: "taskruns",
      base: TASKRUNS,
      plural: "taskruns",
      indexes: { schedule: byLabel(LABELS.schedule) },
    });
    this.jobs = deps.jobs;
    this.slotJobs = new Caches<Job>(client, settings, {
      resource: "slot-jobs",
      base: "/apis/batch/v1",
      plural: "jobs",
      labelSelector: LABELS.schedule,
      indexes: { schedule: byLabel(LABELS.schedule) },
    });
    this.pods = new Caches<Pod>(client, settings, {
      resource: "pods",
      base: "/api/v1",
      plural: "pods",
      labelSelector: LABELS.taskRun,
      indexes: {
        job: (o) => {
          const job = o.metadata.labels?.["batch.kubernetes.io/job-name"] ?? o.metadata.labels?.["job-name"];
          return job === undefined ? undefined : `${o.metadata.namespace}/${job}`;
        },
      },
    });

    // A new or changed run, and a finished attempt, go before status bookkeeping (status.ts).
    this.taskRuns.on((event, run) => {
      const parent = run.metadata.labels?.[LABELS.schedule];
      if (parent) this.queue.add(`${run.metadata.namespace}/${parent}`);
      const key = keyOf(run);
      const written = this.ownStatusWrites.get(key);
      this.ownStatusWrites.delete(key);
      // The echo of the run's own status write needs no pass: the pass that wrote it saw everything
      // up to then, and whatever changed during it queued the run again.
      if (event === "updated" && written === run.metadata.resourceVersion) return;
      this.queue.add(key, taskRunLane(run));
    });
    this.jobs.on((_event, job) => {
      const run = job.metadata.labels?.[LABELS.taskRun];
      if (run) this.queue.add(`${job.metadata.namespace}/${run}`, jobLane(job));
    });
    // A pod changes its run's status only while it cannot get on (no node, a container that cannot
    // start), once that is over, and once it runs.
    this.pods.on((_event, pod) => {
      const run = pod.metadata.labels?.[LABELS.taskRun];
      if (!run) return;
      const shown = this.taskRuns
        .get(pod.metadata.namespace ?? "", run)
        ?.status?.conditions?.find((c) => c.type === "Succeeded")?.reason;
      if (podEventMatters(pod, shown)) this.queue.add(`${pod.metadata.namespace}/${run}`);
    });
    this.slotJobs.on((_event, job) => {
      const parent = job.metadata.labels?.[LABELS.schedule];
      if (parent) this.queue.add(`${job.metadata.namespace}/${parent}`);
    });
  }

  /** Fills the caches, then runs the workers until stop(). */
  async start() {
    await Promise.all([this.taskRuns.start(), this.jobs.start(), this.slotJobs.start(), this.pods.start()]);
    this.deps.log.info("caches synced", {
      taskRuns: this.taskRuns.list().length,
      jobs: this.jobs.list().length,
    });
    this.gaugeTimer = setInterval(() => this.updateGauges(), 5_000);
    this.gaugeTimer.unref();
    this.running = this.queue.run(this.deps.config.workers, (key) => this.handle(key));
  }

  async stop() {
    clearInterval(this.gaugeTimer);
    this.queue.shutDown();
    this.taskRuns.stop();
    this.slotJobs.stop();
    this.pods.stop();
    await this.running;
  }

  private async handle(key: string) {
    try {
      await this.reconcile(key);
      this.queue.forget(key);
    } catch (error) {
      this.deps.metrics.reconcileErrors.inc({ kind: "TaskRun" });
      const level = isConflict(error) ? "debug" : "warn";
      this.deps.log[level]("reconcile failed, retrying with backoff", {
        taskRun: key,
        error: String(error),
        failures: this.queue.failuresOf(key) + 1,
      });
      this.queue.addRateLimited(key);
    }
  }

  async reconcile(key: string) {
    const [namespace, name] = key.split("/") as [string, string];
    const run = this.taskRuns.get(namespace, name);
    if (!run || run.metadata.deletionTimestamp) return;
    const now = this.now();
    if (isFinished(run.status?.phase)) {
      await this.collectIfExpired(run, now);
      return;
    }
    if (run.spec.schedule) {
      await this.reconcileSchedule(run, now);
      return;
    }
    await this.reconcileRun(run, now);
  }

  private async reconcileRun(run: TaskRun, now: Date) {
    const { config, catalog } = this.deps;
    const namespace = run.metadata.namespace ?? "default";
    const name = run.metadata.name ?? "";
    const input = checkInput(catalog, run.spec);
    const task = input.valid ? input.task : undefined;

    const owned = this.jobs
      .byIndex("taskRun", `${namespace}/${name}`)
      .filter((j) => j.metadata.ownerReferences?.some((o) => o.uid === run.metadata.uid));
    // An attempt the status names but the cache does not have yet (just created): ask the server.
    for (const attempt of run.status?.attempts ?? []) {
      if (attempt.completionTime || owned.some((j) => j.metadata.name === attempt.job)) continue;
      try {
        owned.push(
          await this.deps.client.get<Job>(`${nsPath("/apis/batch/v1", namespace, "jobs")}/${attempt.job}`),
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    const jobs = owned.map((job) => ({
      attempt: attemptOfJob(job, LABELS.attempt),
      job,
      pod: this.newestPod(namespace, job.metadata.name ?? ""),
    }));
    // The queue's spec.defaults come last: the run's own fields, then the task's, then the queue's.
    const defaults = this.deps.admission?.defaultsOf(namespace, run.spec.queue ?? task?.queue ?? "default");
    const timeouts = effectiveTimeouts(
      config.runner.softToHardGraceSeconds,
      run.spec.timeouts,
      task?.timeouts,
      defaults?.timeouts,
    );
    const retry = effectiveRetry(run.spec.retry, task?.retry, defaults?.retry);
    const pod = mergePodOverrides(run.spec.pod, defaults?.pod);
    const decided = decide({
      run,
      jobs,
      input,
      retry,
      ...(timeouts.softSeconds !== undefined ? { softSeconds: timeouts.softSeconds } : {}),
      resultKey: (attempt) => this.deps.resultKey({ namespace, name }, attempt),
      now,
    });

    const queue = decided.status.queue ?? "default";
    const labels = { task: run.spec.task, queue };
    const queued = this.deps.admission?.manages(namespace, queue) ?? false;
    const decision = queued
      ? this.withAdmission(run, decided, jobs, queue, now)
      : this.deps.admission
        ? {
            ...decided,
            status: ungovernedStatus(decided.status, queue, namespace, run.metadata.generation ?? 0, now),
          }
        : decided;
    if (decision.createAttempt !== undefined) {
      const job = buildJob({
        run,
        attempt: decision.createAttempt,
        maxAttempts: retry.maxAttempts,
        queue,
        timeouts,
        image: defaults?.image ?? config.runner.image,
        ...(pod ? { pod } : {}),
        runner: config.runner,
        ...(queued ? { queued: { annotations: queueAnnotations(run, now) } } : {}),
        queueEnv: queueEnv(defaults),
      });
      let created: Job | undefined;
      try {
        const sent = performance.now();
        created = await this.deps.client.create<Job>(nsPath("/apis/batch/v1", namespace, "jobs"), job);
        const answered = performance.now();
        const ms = answered - sent;
        this.jobCreates.record(ms, answered);
        this.jobs.observe(created);
        this.deps.log.debug("job created", {
          namespace,
          taskRun: name,
          job: job.metadata.name,
          ms: Math.round(ms),
        });
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      if (config.faults.killAfterJobCreate) {
        this.deps.log.warn("fault injection: dying after creating a Job, before writing status", {
          job: job.metadata.name,
        });
        process.kill(process.pid, "SIGKILL");
      }
      this.deps.metrics.attempts.inc(labels);
      if (decision.createAttempt === 1 && run.metadata.creationTimestamp) {
        this.deps.metrics.wait.observe(
          labels,
          (now.getTime() - Date.parse(String(run.metadata.creationTimestamp))) / 1000,
        );
      }
      // The status write waits for the pass the new Job's watch event brings (a normal-lane key),
      // which derives the same status from the Job: in a burst, every new run's Job comes first.
      if (created && decision.events.length === 0) return;
    }
    if (decision.deleteJob) {
      try {
        await this.deps.client.delete(
          `${nsPath("/apis/batch/v1", namespace, "jobs")}/${decision.deleteJob}`,
          {
            propagationPolicy: "Background",
          },
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    // Gone since the cache was read: no metrics, Events or requeue for it (its deletion comes next).
    if (!(await this.writeStatus(run, decision.status))) return;
    if (isFinished(decision.status.phase) && !isFinished(run.status?.phase)) {
      const outcome = decision.status.phase ?? "Failed";
      this.deps.metrics.runs.inc({ ...labels, outcome });
      if (decision.status.startTime && decision.status.completionTime) {
        this.deps.metrics.duration.observe(
          { ...labels, outcome },
          (Date.parse(decision.status.completionTime) - Date.parse(decision.status.startTime)) / 1000,
        );
      }
      this.requeueForTtl(run, decision.status, now);
    }
    for (const event of decision.events) await this.recordEvent(run, event);
    // Something falls due then (runAt, the end of a backoff, a timeout, expiresAt): action, not bookkeeping.
    if (decision.requeueAt)
      this.queue.addAfter(keyOf(run), decision.requeueAt.getTime() - now.getTime() + 50, "first");
  }

  /** Queue admission's view of a run with a live attempt: Waiting while its Job is suspended. */
  private withAdmission(
    run: TaskRun,
    decision: RunDecision,
    jobs: Array<{ attempt: number; job: Job }>,
    queue: string,
    now: Date,
  ): RunDecision {
    const latest = decision.status.attempts?.at(-1);
    const waiting =
      latest && this.deps.admission?.waitingOf(run.metadata.namespace ?? "default", queue, latest.job);
    const jobSuspended = jobs.find((j) => j.attempt === latest?.attempt)?.job.spec?.suspend === true;
    return applyAdmission(
      decision,
      {
        spec: run.spec,
        generation: run.metadata.generation ?? 0,
        queue,
        jobSuspended,
        ...(waiting ? { waiting } : {}),
      },
      now,
    );
  }

  private newestPod(namespace: string, jobName: string): Pod | undefined {
    return this.pods
      .byIndex("job", `${namespace}/${jobName}`)
      .sort((a, b) =>
        String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
      )[0];
  }

  /**
   * Writes the status when it changed; the response goes into the cache at once. False when the
   * TaskRun no longer exists.
   */
  private async writeStatus(run: TaskRun, status: TaskRunStatus): Promise<boolean> {
    if (isDeepStrictEqual(run.status ?? {}, status)) return true;
    let updated: TaskRun;
    try {
      updated = await this.deps.client.replace<TaskRun>(
        `${nsPath(TASKRUNS, run.metadata.namespace, "taskruns")}/${run.metadata.name}/status`,
        { ...run, status },
      );
    } catch (error) {
      // Deleted since the cache was read (its watch event is on the way): nothing left to record,
      // and not a failure to retry or count.
      if (!isNotFound(error)) throw error;
      this.deps.log.debug("taskrun gone before its status write", {
        namespace: run.metadata.namespace,
        taskRun: run.metadata.name,
      });
      return false;
    }
    this.taskRuns.observe(updated);
    this.ownStatusWrites.set(keyOf(updated), updated.metadata.resourceVersion ?? "");
    const phaseChanged = run.status?.phase !== status.phase;
    if (phaseChanged) {
      this.deps.log.info("taskrun phase", {
        namespace: run.metadata.namespace,
        taskRun: run.metadata.name,
        phase: status.phase,
        attempt: status.attemptCount,
      });
    }
    return true;
  }

  private requeueForTtl(run: TaskRun, status: TaskRunStatus, now: Date) {
    const ttl = run.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || !status.completionTime) return;
    const at = Date.parse(status.completionTime) + ttl * 1000;
    this.queue.addAfter(keyOf(run), at - now.getTime() + 50);
  }

  /** Deletes a finished TaskRun whose ttlSecondsAfterFinished has passed (its Jobs go with it). */
  private async collectIfExpired(run: TaskRun, now: Date) {
    const ttl = run.spec.ttlSecondsAfterFinished;
    const completed = run.status?.completionTime;
    if (ttl === undefined || !completed) return;
    const at = Date.parse(completed) + ttl * 1000;
    if (at > now.getTime()) {
      this.queue.addAfter(keyOf(run), at - now.getTime() + 50);
      return;
    }
    try {
      await this.deps.client.request(
        "DELETE",
        `${nsPath(TASKRUNS, run.metadata.namespace, "taskruns")}/${run.metadata.name}`,
        "delete",
        {
          body: {
            kind: "DeleteOptions",
            apiVersion: "v1",
            propagationPolicy: "Background",
            preconditions: { uid: run.metadata.uid },
          },
        },
      );
      this.deps.log.info("taskrun deleted after ttlSecondsAfterFinished", {
        namespace: run.metadata.namespace,
        taskRun: run.metadata.name,
        ttlSecondsAfterFinished: ttl,
      });
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  private async reconcileSchedule(parent: TaskRun, now: Date) {
    const { client, catalog, config } = this.deps;
    const schedule = parent.spec.schedule;
    if (!schedule) return;
    const namespace = parent.metadata.namespace ?? "default";
    const name = parent.metadata.name ?? "";
    const generation = parent.metadata.generation ?? 0;
    const status: TaskRunStatus = structuredClone(parent.status ?? {});
    status.observedGeneration = generation;
    status.conditions ??= [];
    const condition = (type: string, value: "True" | "False" | "Unknown", reason: string, message: string) =>
      setCondition(
        status.conditions ?? [],
        { type, status: value, reason, message, observedGeneration: generation },
        now,
      );

    const input = checkInput(catalog, parent.spec);
    const valid = input.valid ? checkSchedule(schedule) : { valid: false as const, message: input.message };
    if (!input.valid || !valid.valid) {
      const reason = input.valid ? "InvalidSchedule" : input.reason;
      const message = valid.valid ? "" : valid.message;
      condition("InputValid", "False", reason, message);
      condition("Succeeded", "False", reason, message);
      status.phase = "Failed";
      status.completionTime = now.toISOString().replace(/\.\d{3}Z$/, "Z");
      await this.writeStatus(parent, status);
      await this.recordEvent(parent, { type: "Warning", reason, message });
      return;
    }
    condition("InputValid", "True", input.reason, "input matches the task's schema");
    status.queue = parent.spec.queue ?? input.task.queue;

    const cronJobs = nsPath("/apis/batch/v1", namespace, "cronjobs");
    const desired = buildCronJob(parent, config.runner.image);
    if (parent.spec.cancel) {
      try {
        await client.delete(`${cronJobs}/${desired.metadata.name}`, { propagationPolicy: "Background" });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      condition("Succeeded", "False", "Cancelled", "spec.cancel is true: the schedule was removed");
      status.phase = "Cancelled";
      status.completionTime = now.toISOString().replace(/\.\d{3}Z$/, "Z");
      delete status.nextScheduleTime;
      await this.writeStatus(parent, status);
      return;
    }
    let live: CronJob | undefined;
    try {
      live = await client.get<CronJob>(`${cronJobs}/${desired.metadata.name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (!live) {
      try {
        await client.create(cronJobs, desired);
        await this.recordEvent(parent, {
          type: "Normal",
          reason: "Scheduled",
          message: `created CronJob ${desired.metadata.name} (${schedule.cron})`,
        });
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
    } else if (cronJobDrifted(live, desired)) {
      await client.replace(`${cronJobs}/${desired.metadata.name}`, {
        ...live,
        spec: { ...live.spec, ...desired.spec },
      });
    }

    // Each slot Job of the CronJob becomes one child TaskRun, named after its slot.
    const children = new Map(
      this.taskRuns.byIndex("schedule", `${namespace}/${name}`).map((c) => [c.metadata.name ?? "", c]),
    );
    for (const slotJob of this.slotJobs.byIndex("schedule", `${namespace}/${name}`)) {
      const slot = slotTimeOf(slotJob) ?? new Date(String(slotJob.metadata.creationTimestamp));
      const desiredChild = childTaskRun(parent, slot);
      const child = children.get(desiredChild.metadata.name ?? "");
      if (!child) {
        try {
          const created = await client.create<TaskRun>(nsPath(TASKRUNS, namespace, "taskruns"), desiredChild);
          this.taskRuns.observe(created);
          children.set(created.metadata.name ?? "", created);
          await this.recordEvent(parent, {
            type: "Normal",
            reason: "SlotStarted",
            message: `slot ${slot.toISOString()}: created TaskRun ${created.metadata.name}`,
          });
        } catch (error) {
          if (!isAlreadyExists(error)) throw error;
        }
      } else if (isFinished(child.status?.phase)) {
        // The slot is done: its suspended Job goes, so the CronJob's concurrencyPolicy sees it finished.
        try {
          await client.delete(`${nsPath("/apis/batch/v1", namespace, "jobs")}/${slotJob.metadata.name}`, {
            propagationPolicy: "Background",
          });
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
    }
    const childRuns = [...children.values()].map(childRunOf);
    for (const replaced of childrenToReplace(schedule, childRuns)) {
      // The same path as a user's cancel: the child deletes its Job (the pod gets SIGTERM), ends Cancelled.
      try {
        const patched = await client.mergePatch<TaskRun>(
          `${nsPath(TASKRUNS, namespace, "taskruns")}/${replaced}`,
          {
            spec: { cancel: true },
          },
        );
        this.taskRuns.observe(patched);
        await this.recordEvent(parent, {
          type: "Normal",
          reason: "SlotReplaced",
          message: `concurrencyPolicy Replace: cancelled TaskRun ${replaced} for a newer slot`,
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    for (const prune of childrenToPrune(childRuns, schedule.history)) {
      try {
        await client.delete(`${nsPath(TASKRUNS, namespace, "taskruns")}/${prune}`, {
          propagationPolicy: "Background",
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    const kept = childRuns.filter((c) => !childrenToPrune(childRuns, schedule.history).includes(c.name));
    Object.assign(status, scheduleStatus(schedule, kept, now));
    status.phase = "Scheduled";
    condition(
      "Succeeded",
      "Unknown",
      schedule.suspend ? "Suspended" : "Scheduled",
      schedule.suspend
        ? "the schedule is suspended"
        : `runs on "${schedule.cron}"${schedule.timeZone ? ` (${schedule.timeZone})` : ""}`,
    );
    await this.writeStatus(parent, status);
    if (status.nextScheduleTime) {
      this.queue.addAfter(keyOf(parent), Date.parse(status.nextScheduleTime) - now.getTime() + 1_000);
    }
  }

  private async recordEvent(run: TaskRun, event: RunEvent) {
    const namespace = run.metadata.namespace ?? "default";
    const at = this.now().toISOString();
    try {
      await this.deps.client.create(`/api/v1/namespaces/${namespace}/events`, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${(run.metadata.name ?? "taskrun").slice(0, 200)}.`, namespace },
        involvedObject: {
          apiVersion: API_VERSION,
          kind: "TaskRun",
          name: run.metadata.name,
          namespace,
          uid: run.metadata.uid,
          resourceVersion: run.metadata.resourceVersion,
        },
        reason: event.reason,
        message: event.message.slice(0, 1024),
        type: event.type,
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
        source: { component: "synthetiq-tasks-operator" },
        reportingComponent: "synthetiq-tasks-operator",
        reportingInstance: this.deps.config.leaderElection.identity.slice(0, 128),
      });
    } catch (error) {
      this.deps.log.warn("could not record event", {
        taskRun: run.metadata.name,
        reason: event.reason,
        error: String(error),
      });
    }
  }

  private updateGauges() {
    // Every queue a TaskRun names gets both series, 0 when idle ("no data" reads as a broken panel).
    const pending = new Map<string, number>();
    const running = new Map<string, number>();
    for (const run of this.taskRuns.list()) {
      const queue = run.status?.queue ?? run.spec.queue ?? "default";
      for (const counts of [pending, running]) counts.set(queue, counts.get(queue) ?? 0);
      const phase = run.status?.phase;
      if (isFinished(phase) || phase === "Scheduled" || run.spec.schedule) continue;
      const target = phase === "Running" ? running : pending;
      target.set(queue, (target.get(queue) ?? 0) + 1);
    }
    this.deps.metrics.pending.reset();
    this.deps.metrics.running.reset();
    for (const [queue, n] of pending) this.deps.metrics.pending.set({ queue }, n);
    for (const [queue, n] of running) this.deps.metrics.running.set({ queue }, n);
  }

  /** True while no informer has been stuck: used by /healthz. */
  get cachesSynced() {
    return [this.taskRuns, this.jobs, this.slotJobs, this.pods].every((c) => c.hasSynced);
  }
}
