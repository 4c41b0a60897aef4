// A TaskRun's status as its queue's admission shapes it (pure). While its attempt's Job waits
// suspended: phase Waiting, condition Admitted=False with the reason and the position, and
// status.queuePosition for the printer column. Once released: Admitted=True, no position.
import type { TaskRunStatus } from "../api/taskrun.ts";
import { setCondition } from "../status.ts";
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
