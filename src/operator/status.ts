// Pure status derivation: what a Job and its Pod say about one attempt, and what a TaskRun's status
// and next step are, given its spec, its attempts' Jobs, the input check and the clock.
import type { Condition } from "./api/common.ts";
import {
  type AttemptStatus,
  FINISHED_PHASES,
  type TaskRun,
  type TaskRunPhase,
  type TaskRunStatus,
} from "./api/taskrun.ts";
import { backoffSeconds, type EffectiveRetry } from "./backoff.ts";
import type { Job, Pod } from "./kube/objects.ts";
import type { Lane } from "./kube/workqueue.ts";
import { jobName } from "./naming.ts";
import { mayStart } from "./policies.ts";
import type { InputCheck } from "./tasks.ts";

export const CONTAINER_NAME = "runner";

/** Why an attempt ended. Retryable reasons lead to another attempt while attempts remain. */
export type AttemptReason =
  | "Succeeded"
  | "Retryable"
  | "Permanent"
  | "SoftTimeout"
  | "HardTimeout"
  | "Cancelled"
  | "JobDeleted";

const RETRYABLE: ReadonlySet<string> = new Set(["Retryable", "SoftTimeout", "HardTimeout", "JobDeleted"]);

const toIso = (value: string | Date | undefined) =>
  value === undefined ? undefined : new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");

export function attemptOfJob(job: Job, label: string): number {
  return Number.parseInt(job.metadata.labels?.[label] ?? "0", 10);
}

function terminatedRunner(pod: Pod | undefined) {
  return pod?.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME)?.state?.terminated;
}

/** Waiting reasons the kubelet keeps retrying without success until someone fixes the pod's spec or
 * what it references (a missing Secret or key, a bad image name, an image that cannot be pulled). */
const STUCK_WAITING: ReadonlySet<string> = new Set([
  "CreateContainerConfigError",
  "CreateContainerError",
  "InvalidImageName",
  "ErrImagePull",
  "ImagePullBackOff",
]);

/** The PodScheduled condition's reason when no node fits the pod. */
const UNSCHEDULABLE = "Unschedulable";

/** A container of the pod that waits for a reason that cannot fix itself, with the kubelet's message. */
function stuckContainer(
  pod: Pod | undefined,
): { container: string; reason: string; message: string } | undefined {
  const statuses = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  for (const c of statuses) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && STUCK_WAITING.has(waiting.reason)) {
      return { container: c.name, reason: waiting.reason, message: waiting.message ?? waiting.reason };
    }
  }
  return undefined;
}

/**
 * Why the attempt's pod is not getting on, when it needs someone to act: a container stuck waiting
 * (the kubelet's reason and message), or no node the scheduler can put it on (the scheduler's
 * message, such as "0/3 nodes are available: 3 Insufficient memory").
 */
export function podProblem(pod: Pod | undefined): { reason: string; message: string } | undefined {
  const stuck = stuckContainer(pod);
  if (stuck)
    return { reason: stuck.reason, message: `container ${stuck.container} cannot start: ${stuck.message}` };
  const scheduled = pod?.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === UNSCHEDULABLE) {
    return {
      reason: UNSCHEDULABLE,
      message: `pod ${pod?.metadata.name} cannot be scheduled: ${scheduled.message ?? "no node fits it"}`,
    };
  }
  return undefined;
}

const POD_PROBLEMS: ReadonlySet<string> = new Set([...STUCK_WAITING, UNSCHEDULABLE]);

/**
 * Whether a pod's event can change its run's status: it runs, it has a problem, or the run still
 * shows a problem (`shownReason`, its Succeeded condition's reason) that may have gone.
 */
export function podEventMatters(pod: Pod, shownReason: string | undefined): boolean {
  return (
    pod.status?.phase === "Running" ||
    podProblem(pod) !== undefined ||
    (shownReason !== undefined && POD_PROBLEMS.has(shownReason))
  );
}

/**
 * The work-queue lane of a TaskRun's event: "first" when the run asks for action (it is new, or its
 * spec changed, such as a cancel) rather than echoing what was already done. In a burst, first
 * keys go before status bookkeeping (kube/workqueue.ts).
 */
export function taskRunLane(run: TaskRun): Lane {
  const unobserved = (run.metadata.generation ?? 0) !== (run.status?.observedGeneration ?? 0);
  return run.status?.phase === undefined || unobserved ? "first" : "normal";
}

/** The lane of an attempt Job's event: "first" once the attempt has finished (the run's outcome). */
export function jobLane(job: Job): Lane {
  return finishedCondition(job) ? "first" : "normal";
}

/** The Job's Complete or Failed condition, once it has finished. */
function finishedCondition(job: Job) {
  return job.status?.conditions?.find(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
}

/** What one attempt's Job (and its newest Pod) say. `softSeconds` tells a soft timeout apart. */
export function observeAttempt(
  attempt: number,
  job: Job,
  pod: Pod | undefined,
  softSeconds?: number,
): AttemptStatus {
  const observed: AttemptStatus = {
    attempt,
    job: job.metadata.name ?? "",
    startTime: toIso(job.status?.startTime ?? job.metadata.creationTimestamp),
  };
  if (pod?.metadata.name) observed.pod = pod.metadata.name;
  const terminated = terminatedRunner(pod);
  if (terminated) observed.exitCode = terminated.exitCode;
  const done = finishedCondition(job);
  if (!done) return observed;
  observed.completionTime =
    toIso(done.lastTransitionTime ?? job.status?.completionTime) ?? observed.startTime;
  if (done.type === "Complete") {
    observed.reason = "Succeeded";
    observed.exitCode = 0;
    return observed;
  }
  if (done.reason === "DeadlineExceeded") {
    observed.reason = "HardTimeout";
    observed.message = "killed at the hard timeout (activeDeadlineSeconds)";
  } else if (done.reason === "PodFailurePolicy" || terminated?.exitCode === 2) {
    observed.reason = "Permanent";
    observed.message = "the runner exited 2 (permanent failure)";
  } else {
    const ranSeconds =
      (Date.parse(observed.completionTime ?? "") - Date.parse(observed.startTime ?? "")) / 1000;
    const soft = softSeconds !== undefined && ranSeconds >= softSeconds;
    observed.reason = soft ? "SoftTimeout" : "Retryable";
    observed.message = soft
      ? `failed after the soft timeout of ${softSeconds}s`
      : `the runner exited ${terminated?.exitCode ?? "with an unknown code"} (${done.reason ?? "failed"})`;
  }
  return observed;
}

/** Sets `next` in `conditions`, keeping lastTransitionTime when the status did not change. */
export function setCondition(
  conditions: Condition[],
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
) {
  const at = toIso(now) as string;
  const i = conditions.findIndex((c) => c.type === next.type);
  const previous = conditions[i];
  const merged: Condition = {
    ...next,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : at,
  };
  if (i === -1) conditions.push(merged);
  else conditions[i] = merged;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export interface RunFacts {
  readonly run: TaskRun;
  /** Jobs of this run's attempts, each with its newest Pod. */
  readonly jobs: ReadonlyArray<{ attempt: number; job: Job; pod?: Pod }>;
  readonly input: InputCheck;
  readonly retry: EffectiveRetry;
  readonly softSeconds?: number;
  /** Builds the Redis key of an attempt's result record. */
  readonly resultKey: (attempt: number) => string;
  readonly now: Date;
}

export interface RunEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/** What the controller should do for a TaskRun, and the status it should then have. */
export interface RunDecision {
  status: TaskRunStatus;
  /** Create the Job of this attempt (1-based). */
  createAttempt?: number;
  /** Delete this Job (a cancelled run's active attempt). */
  deleteJob?: string;
  /** Look at the run again at this time. */
  requeueAt?: Date;
  events: RunEvent[];
}

export function isFinished(phase: TaskRunPhase | undefined): boolean {
  return phase !== undefined && FINISHED_PHASES.has(phase);
}

/** The next step of a one-off (not scheduled) TaskRun. */
export function decide(facts: RunFacts): RunDecision {
  const { run, now } = facts;
  const previous = run.status ?? {};
  const generation = run.metadata.generation ?? 0;
  const status: TaskRunStatus = structuredClone(previous);
  status.observedGeneration = generation;
  status.conditions ??= [];
  const events: RunEvent[] = [];
  const condition = (type: string, value: Condition["status"], reason: string, message: string) =>
    setCondition(
      status.conditions as Condition[],
      { type, status: value, reason, message, observedGeneration: generation },
      now,
    );
  const finish = (phase: TaskRunPhase, succeeded: Condition["status"], reason: string, message: string) => {
    status.phase = phase;
    status.completionTime ??= toIso(now);
    delete status.nextAttemptTime;
    condition("Succeeded", succeeded, reason, message);
    if (status.startTime && status.completionTime) {
      status.duration = formatDuration(
        (Date.parse(status.completionTime) - Date.parse(status.startTime)) / 1000,
      );
    }
    events.push({ type: succeeded === "True" ? "Normal" : "Warning", reason, message });
  };
  const decision: RunDecision = { status, events };

  if (isFinished(previous.phase)) return { status: previous, events: [] };

  // The queue is known once the task is, also for input it refuses (its failures count there).
  const queue = run.spec.queue ?? ("task" in facts.input ? facts.input.task.queue : undefined);
  if (queue !== undefined) status.queue = queue;
  if (!facts.input.valid) {
    condition("InputValid", "False", facts.input.reason, facts.input.message);
    finish("Failed", "False", facts.input.reason, facts.input.message);
    return decision;
  }
  condition("InputValid", "True", facts.input.reason, "input matches the task's schema");

  // Attempts: what the status recorded, brought up to date with the Jobs that exist.
  const attempts = new Map<number, AttemptStatus>((previous.attempts ?? []).map((a) => [a.attempt, a]));
  // A running attempt's entry is written once (when its Job is created) and again when it ends:
  // the pod's name and exit code are recorded with the outcome, to keep writes per attempt low.
  for (const { attempt, job, pod } of facts.jobs) {
    const before = attempts.get(attempt);
    if (before?.completionTime) continue;
    const observed = observeAttempt(attempt, job, pod, facts.softSeconds);
    if (before && !observed.completionTime) continue;
    attempts.set(attempt, before?.startTime ? { ...observed, startTime: before.startTime } : observed);
  }
  for (const [n, a] of attempts) {
    if (!a.completionTime && !facts.jobs.some((j) => j.attempt === n)) {
      attempts.set(n, {
        ...a,
        completionTime: toIso(now),
        reason: "JobDeleted",
        message: `Job ${a.job} disappeared`,
      });
    }
  }
  const ordered = [...attempts.values()].sort((a, b) => a.attempt - b.attempt);
  status.attempts = ordered;
  status.attemptCount = ordered.length;
  const latest = ordered.at(-1);
  if (latest) status.resultRef = facts.resultKey(latest.attempt);

  if (latest && !latest.completionTime) {
    if (run.spec.cancel) {
      latest.completionTime = toIso(now);
      latest.reason = "Cancelled";
      latest.message = "spec.cancel is true: the Job was deleted";
      decision.deleteJob = latest.job;
      finish("Cancelled", "False", "Cancelled", `cancelled during attempt ${latest.attempt}`);
      return decision;
    }
    status.phase = "Running";
    if (!previous.attempts?.some((a) => a.attempt === latest.attempt)) {
      // The pass that created this Job left the status to this one (or died first): record what
      // it would have written.
      delete status.nextAttemptTime;
      status.startTime ??= latest.startTime;
      condition("Admitted", "True", "Admitted", `attempt ${latest.attempt} admitted`);
    }
    const problem = podProblem(facts.jobs.find((j) => j.attempt === latest.attempt)?.pod);
    if (problem) {
      const message = `attempt ${latest.attempt}: ${problem.message}`;
      const before = status.conditions.find((c) => c.type === "Succeeded");
      if (before?.reason !== problem.reason || before.message !== message) {
        events.push({ type: "Warning", reason: problem.reason, message });
      }
      condition("Succeeded", "Unknown", problem.reason, message);
      return decision;
    }
    condition("Succeeded", "Unknown", "Running", `attempt ${latest.attempt} is running (Job ${latest.job})`);
    return decision;
  }

  if (latest?.reason === "Succeeded") {
    status.completionTime = latest.completionTime;
    finish("Succeeded", "True", "Succeeded", `attempt ${latest.attempt} succeeded`);
    return decision;
  }
  if (latest && !RETRYABLE.has(latest.reason ?? "")) {
    finish(
      "Failed",
      "False",
      latest.reason === "Permanent" ? "PermanentFailure" : (latest.reason ?? "Failed"),
      `attempt ${latest.attempt}: ${latest.message ?? latest.reason}`,
    );
    return decision;
  }
  if (latest && latest.attempt >= facts.retry.maxAttempts) {
    finish(
      "Failed",
      "False",
      latest.reason === "HardTimeout" || latest.reason === "SoftTimeout" ? latest.reason : "RetriesExhausted",
      `attempt ${latest.attempt} of ${facts.retry.maxAttempts}: ${latest.message ?? latest.reason}`,
    );
    return decision;
  }
  if (latest && !status.nextAttemptTime) {
    const delay = backoffSeconds(
      facts.retry.backoff,
      latest.attempt,
      run.metadata.uid ?? run.metadata.name ?? "",
    );
    status.nextAttemptTime = toIsoMillis(
      new Date(Date.parse(latest.completionTime ?? toIso(now) ?? "") + delay * 1000),
    );
    events.push({
      type: "Warning",
      reason: "AttemptFailed",
      message: `attempt ${latest.attempt} failed (${latest.reason}); next attempt at ${status.nextAttemptTime}`,
    });
  }

  const objection = mayStart({ spec: run.spec, status, now });
  if (objection?.verdict === "finish") {
    condition("Admitted", "False", objection.reason, objection.message);
    finish(objection.phase, "False", objection.reason, objection.message);
    return decision;
  }
  if (objection?.verdict === "wait") {
    status.phase = objection.phase;
    condition("Admitted", "False", objection.reason, objection.message);
    condition("Succeeded", "Unknown", objection.reason, objection.message);
    if (objection.until) decision.requeueAt = objection.until;
    return decision;
  }

  const next = (latest?.attempt ?? 0) + 1;
  const name = jobName(run.metadata.name ?? "", next);
  delete status.nextAttemptTime;
  status.startTime ??= toIso(now);
  status.phase = "Running";
  status.attempts = [...ordered, { attempt: next, job: name, startTime: toIso(now) }];
  status.attemptCount = next;
  status.resultRef = facts.resultKey(next);
  condition("Admitted", "True", "Admitted", `attempt ${next} admitted`);
  condition("Succeeded", "Unknown", "Running", `attempt ${next} is running (Job ${name})`);
  // No event here: the Job controller's own events show the start; ours mark retries and outcomes.
  decision.createAttempt = next;
  return decision;
}

/** RFC 3339 with milliseconds: backoff delays are not whole seconds. */
function toIsoMillis(date: Date): string {
  return date.toISOString();
}
