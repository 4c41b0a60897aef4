// "May the next attempt of this TaskRun start now?" as a chain of small named policies. The first
// policy that objects decides, and its reason is the one the TaskRun's condition shows.
import type { TaskRunSpec, TaskRunStatus } from "./api/taskrun.ts";

export interface StartFacts {
  readonly spec: TaskRunSpec;
  readonly status: TaskRunStatus;
  readonly now: Date;
}

/** The run must end now, without (another) attempt. */
export interface Finish {
  readonly verdict: "finish";
  readonly phase: "Cancelled" | "Expired";
  readonly reason: string;
  readonly message: string;
}

/** The run must wait; `until` is when to look again (undefined: until something changes). */
export interface Wait {
  readonly verdict: "wait";
  readonly phase: "Waiting" | "Retrying";
  readonly reason: string;
  readonly message: string;
  readonly until?: Date;
}

export type Objection = Finish | Wait;
export type Policy = (facts: StartFacts) => Objection | undefined;

const ms = (iso: string) => new Date(iso).getTime();

export const cancelled: Policy = ({ spec }) =>
  spec.cancel
    ? { verdict: "finish", phase: "Cancelled", reason: "Cancelled", message: "spec.cancel is true" }
    : undefined;

export const expired: Policy = ({ spec, now }) =>
  spec.expiresAt && ms(spec.expiresAt) <= now.getTime()
    ? {
        verdict: "finish",
        phase: "Expired",
        reason: "Expired",
        message: `not started before spec.expiresAt ${spec.expiresAt}`,
      }
    : undefined;

export const notYetDue: Policy = ({ spec, now }) =>
  spec.runAt && ms(spec.runAt) > now.getTime()
    ? {
        verdict: "wait",
        phase: "Waiting",
        reason: "NotYetDue",
        message: `waiting for spec.runAt ${spec.runAt}`,
        until: new Date(spec.runAt),
      }
    : undefined;

export const backoffPending: Policy = ({ status, now }) =>
  status.nextAttemptTime && ms(status.nextAttemptTime) > now.getTime()
    ? {
        verdict: "wait",
        phase: "Retrying",
        reason: "BackoffPending",
        message: `next attempt at ${status.nextAttemptTime}`,
        until: new Date(status.nextAttemptTime),
      }
    : undefined;

/** Order matters: ending a run beats waiting for it. Queue admission policies join with the queues. */
export const START_POLICIES: readonly Policy[] = [cancelled, expired, notYetDue, backoffPending];

export function mayStart(
  facts: StartFacts,
  policies: readonly Policy[] = START_POLICIES,
): Objection | undefined {
  for (const policy of policies) {
    const objection = policy(facts);
    if (objection) return objection;
  }
  return undefined;
}
