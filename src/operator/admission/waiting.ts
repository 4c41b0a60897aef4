// A TaskRun's status as its queue's admission shapes it (pure). While its attempt's Job waits
// suspended: phase Waiting, condition Admitted=False with the reason and the position, and
// status.queuePosition for the printer column; past spec.expiresAt it ends Expired. Once released:
// Admitted=True, no position.
import type { TaskRunSpec, TaskRunStatus } from "../api/taskrun.ts";
import { type RunDecision, setCondition } from "../status.ts";
import type { Waiting } from "./admit.ts";

export interface AttemptAdmission {
  readonly queue: string;
  /** The latest attempt's Job is suspended. */
  readonly suspended: boolean;
  /** Its place, once the queue has looked at it. */
  readonly waiting?: Waiting;
}

export function waitingMessage(queue: string, waiting: Waiting | undefined): string {
  if (!waiting) return `waiting for queue ${queue} to admit it`;
  const why = waiting.reason === "RateLimited" ? "rate limited" : "queue full";
  return `${why}: position ${waiting.position} of ${waiting.total} in queue ${queue}`;
}

/** Applies to a run whose latest attempt has a live Job (the phase `decide` calls Running). */
export function admissionStatus(
  status: TaskRunStatus,
  admission: AttemptAdmission,
  generation: number,
  now: Date,
): TaskRunStatus {
  const next: TaskRunStatus = structuredClone(status);
  next.conditions ??= [];
  const set = (type: string, value: "True" | "False" | "Unknown", reason: string, message: string) =>
    setCondition(
      next.conditions ?? [],
      { type, status: value, reason, message, observedGeneration: generation },
      now,
    );
  if (!admission.suspended) {
    delete next.queuePosition;
    const admitted = next.conditions.find((c) => c.type === "Admitted");
    if (admitted && admitted.status !== "True") {
      set("Admitted", "True", "Admitted", `admitted by queue ${admission.queue}`);
    }
    return next;
  }
  const reason = admission.waiting?.reason ?? "Queued";
  const message = waitingMessage(admission.queue, admission.waiting);
  next.phase = "Waiting";
  if (admission.waiting) next.queuePosition = admission.waiting.position;
  else delete next.queuePosition;
  set("Admitted", "False", reason, message);
  set("Succeeded", "Unknown", reason, message);
  return next;
}

/**
 * A run whose queue no TaskQueue governs starts at once, without the queue's limits, defaults and
 * Secret env. For a queue other than "default" that is most often a typo (`emials`): its Admitted
 * condition says so (reason NoTaskQueue), where the SDK, the HTTP API and `kubectl describe` show
 * it. A queue without a TaskQueue stays allowed.
 */
export function ungovernedStatus(
  status: TaskRunStatus,
  queue: string,
  namespace: string,
  generation: number,
  now: Date,
): TaskRunStatus {
  const admitted = status.conditions?.find((c) => c.type === "Admitted");
  if (queue === "default" || admitted?.status !== "True" || admitted.reason !== "Admitted") return status;
  const next: TaskRunStatus = structuredClone(status);
  setCondition(
    next.conditions ?? [],
    {
      type: "Admitted",
      status: "True",
      reason: "NoTaskQueue",
      message: `${admitted.message}: no TaskQueue ${queue} in namespace ${namespace}, so no queue limits or defaults apply`,
      observedGeneration: generation,
    },
    now,
  );
  return next;
}

export interface QueuedRunFacts {
  readonly spec: TaskRunSpec;
  readonly generation: number;
  readonly queue: string;
  /** The latest attempt's Job exists and is suspended. */
  readonly jobSuspended: boolean;
  readonly waiting?: Waiting;
}

/**
 * A run's next step (from `decide`) under its queue's admission: while the latest attempt's Job is
 * suspended the run waits with its reason and position; a run still not admitted at
 * spec.expiresAt ends Expired, its Job deleted before any pod started.
 */
export function applyAdmission(decision: RunDecision, facts: QueuedRunFacts, now: Date): RunDecision {
  const latest = decision.status.attempts?.at(-1);
  if (decision.status.phase !== "Running" || !latest || latest.completionTime) return decision;
  const suspended = decision.createAttempt !== undefined || facts.jobSuspended;
  const admission = { queue: facts.queue, suspended, ...(facts.waiting ? { waiting: facts.waiting } : {}) };
  const expiresAt = facts.spec.expiresAt ? Date.parse(facts.spec.expiresAt) : undefined;
  if (!suspended || expiresAt === undefined) {
    return { ...decision, status: admissionStatus(decision.status, admission, facts.generation, now) };
  }
  if (expiresAt > now.getTime() || decision.createAttempt !== undefined) {
    const requeueAt =
      decision.requeueAt && decision.requeueAt.getTime() < expiresAt
        ? decision.requeueAt
        : new Date(expiresAt);
    return {
      ...decision,
      status: admissionStatus(decision.status, admission, facts.generation, now),
      requeueAt,
    };
  }
  // Expired in the queue: the attempt never started, so it is dropped rather than recorded.
  const status: TaskRunStatus = structuredClone(decision.status);
  const attempts = (status.attempts ?? []).slice(0, -1);
  status.attempts = attempts;
  status.attemptCount = attempts.length;
  if (attempts.length === 0) {
    delete status.startTime;
    delete status.resultRef;
  }
  delete status.queuePosition;
  status.phase = "Expired";
  status.completionTime = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const message = `not admitted by queue ${facts.queue} before spec.expiresAt ${facts.spec.expiresAt}`;
  status.conditions ??= [];
  for (const type of ["Admitted", "Succeeded"]) {
    setCondition(
      status.conditions,
      { type, status: "False", reason: "Expired", message, observedGeneration: facts.generation },
      now,
    );
  }
  return {
    status,
    deleteJob: latest.job,
    events: [...decision.events, { type: "Warning", reason: "Expired", message }],
  };
}
