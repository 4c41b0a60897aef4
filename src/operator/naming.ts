// Deterministic names for what the operator creates: one Job name per TaskRun attempt, the
// CronJob of a schedule, and one child TaskRun name per schedule slot. Deterministic names are
// what make a restart safe: creating the same attempt or slot twice is refused by the API server.
import { createHash } from "node:crypto";

/** Job names become a label value (job-name) on their pods: at most 63 characters. */
export const MAX_JOB_NAME = 63;
/** The CronJob controller appends "-<minutes>" (up to 11 characters) to its name for its Jobs. */
export const MAX_CRONJOB_NAME = 52;
/**
 * A TaskRun's name is the value of the taskrun label on its Jobs and pods, and label values are at
 * most 63 characters: the CRD refuses longer names (api/taskrun.ts).
 */
export const MAX_TASKRUN_NAME = 63;

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** `base` + `suffix` within `limit`; a too-long base is cut and gets a hash of the whole base. */
export function boundedName(base: string, suffix: string, limit: number): string {
  if (base.length + suffix.length <= limit) return base + suffix;
  const hash = `-${shortHash(base)}`;
  const keep = limit - suffix.length - hash.length;
  return base.slice(0, keep).replace(/[-.]+$/, "") + hash + suffix;
}

/** The Job of attempt `attempt` (1-based) of TaskRun `taskRunName`. */
export function jobName(taskRunName: string, attempt: number): string {
  return boundedName(taskRunName, `-a${attempt}`, MAX_JOB_NAME);
}

export function cronJobName(taskRunName: string): string {
  return boundedName(taskRunName, "", MAX_CRONJOB_NAME);
}

/** The child TaskRun of the slot at `scheduledTime`: minutes since the epoch, as CronJob does. */
export function slotChildName(parentName: string, scheduledTime: Date): string {
  const minutes = Math.floor(scheduledTime.getTime() / 60_000);
  return boundedName(parentName, `-${minutes}`, MAX_TASKRUN_NAME);
}
