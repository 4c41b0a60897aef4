// Pure rules of scheduled TaskRuns: is the cron/time zone valid, when is the next slot, which slot a
// CronJob's Job stands for, the child TaskRun of a slot, and which finished children to prune.
import { CronExpressionParser } from "cron-parser";
import { ANNOTATIONS, API_VERSION, LABELS } from "./api/common.ts";
import type { ScheduleSpec, TaskRun, TaskRunPhase, TaskRunStatus } from "./api/taskrun.ts";
import type { Job } from "./kube/objects.ts";
import { slotChildName } from "./naming.ts";
import { isFinished } from "./status.ts";

/** Set by the CronJob controller on each Job it creates (Kubernetes 1.28+). */
export const CRONJOB_SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp";

export const DEFAULT_HISTORY = { successful: 3, failed: 1 } as const;
export const MAX_RECENT_RUNS = 10;

export type ScheduleCheck = { valid: true } | { valid: false; message: string };

export function checkSchedule(schedule: ScheduleSpec): ScheduleCheck {
  if (schedule.timeZone) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: schedule.timeZone });
    } catch {
      return {
        valid: false,
        message: `spec.schedule.timeZone "${schedule.timeZone}" is not a known IANA time zone`,
      };
    }
  }
  const fields = schedule.cron.trim().split(/\s+/);
  if (!schedule.cron.startsWith("@") && fields.length !== 5) {
    return {
      valid: false,
      message: `spec.schedule.cron "${schedule.cron}" has ${fields.length} fields, expected 5`,
    };
  }
  try {
    CronExpressionParser.parse(schedule.cron, { tz: schedule.timeZone ?? "UTC", strict: false });
    return { valid: true };
  } catch (error) {
    return {
      valid: false,
      message: `spec.schedule.cron "${schedule.cron}" is invalid: ${(error as Error).message}`,
    };
  }
}

/** The first slot strictly after `after`. */
export function nextScheduleTime(schedule: ScheduleSpec, after: Date): Date {
  const expression = CronExpressionParser.parse(schedule.cron, {
    tz: schedule.timeZone ?? "UTC",
    currentDate: after,
  });
  return expression.next().toDate();
}

/** The slot a CronJob-made Job stands for, from the controller's annotation. */
export function slotTimeOf(job: Job): Date | undefined {
  const value = job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP];
  if (!value) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** The one-off TaskRun that runs `parent`'s task for the slot at `slot`. */
export function childTaskRun(parent: TaskRun, slot: Date): TaskRun {
  const { schedule: _schedule, runAt: _runAt, ...spec } = parent.spec;
  const name = slotChildName(parent.metadata.name ?? "", slot);
  return {
    apiVersion: API_VERSION,
    kind: "TaskRun",
    metadata: {
      name,
      namespace: parent.metadata.namespace,
      labels: { [LABELS.schedule]: parent.metadata.name ?? "" },
      annotations: { [ANNOTATIONS.scheduledTime]: slot.toISOString() },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: "TaskRun",
          name: parent.metadata.name ?? "",
          uid: parent.metadata.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}

export interface ChildRun {
  name: string;
  scheduledTime: string;
  phase?: TaskRunPhase;
  /** spec.cancel is already set. */
  cancelRequested?: boolean;
}

export function childRunOf(child: TaskRun): ChildRun {
  return {
    name: child.metadata.name ?? "",
    scheduledTime:
      child.metadata.annotations?.[ANNOTATIONS.scheduledTime] ??
      String(child.metadata.creationTimestamp ?? ""),
    ...(child.status?.phase ? { phase: child.status.phase } : {}),
    ...(child.spec.cancel ? { cancelRequested: true } : {}),
  };
}

/**
 * `concurrencyPolicy: Replace`: when a newer slot has started, every older child still running is
 * replaced, i.e. cancelled (the CronJob controller only deletes the slot Job, not the child's work).
 * Returns the names of the children to cancel; none under Allow or Forbid.
 */
export function childrenToReplace(schedule: ScheduleSpec, children: readonly ChildRun[]): string[] {
  if (schedule.concurrencyPolicy !== "Replace") return [];
  const newest = children.reduce<ChildRun | undefined>(
    (latest, c) => (!latest || c.scheduledTime > latest.scheduledTime ? c : latest),
    undefined,
  );
  return children
    .filter((c) => c !== newest && !isFinished(c.phase) && !c.cancelRequested)
    .map((c) => c.name);
}

/** Finished children beyond the history limits (newest kept), oldest first. */
export function childrenToPrune(children: readonly ChildRun[], history: ScheduleSpec["history"]): string[] {
  const keepSucceeded = history?.successful ?? DEFAULT_HISTORY.successful;
  const keepFailed = history?.failed ?? DEFAULT_HISTORY.failed;
  const newestFirst = [...children].sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime));
  const succeeded = newestFirst.filter((c) => c.phase === "Succeeded");
  const failed = newestFirst.filter((c) => isFinished(c.phase) && c.phase !== "Succeeded");
  return [...succeeded.slice(keepSucceeded), ...failed.slice(keepFailed)]
    .sort((a, b) => a.scheduledTime.localeCompare(b.scheduledTime))
    .map((c) => c.name);
}

/** The schedule's part of the parent's status: last/next slot and the recent runs, newest first. */
export function scheduleStatus(
  schedule: ScheduleSpec,
  children: readonly ChildRun[],
  now: Date,
): Pick<TaskRunStatus, "lastScheduleTime" | "nextScheduleTime" | "recentRuns"> {
  const newestFirst = [...children].sort((a, b) => b.scheduledTime.localeCompare(a.scheduledTime));
  const last = newestFirst[0]?.scheduledTime;
  return {
    ...(last ? { lastScheduleTime: new Date(last).toISOString().replace(/\.000Z$/, "Z") } : {}),
    ...(schedule.suspend
      ? {}
      : {
          nextScheduleTime: nextScheduleTime(schedule, now)
            .toISOString()
            .replace(/\.000Z$/, "Z"),
        }),
    recentRuns: newestFirst.slice(0, MAX_RECENT_RUNS).map((c) => ({
      name: c.name,
      scheduledTime: new Date(c.scheduledTime).toISOString().replace(/\.000Z$/, "Z"),
      ...(c.phase ? { phase: c.phase } : {}),
    })),
  };
}
