// What the CLI shows, as pure functions: the list filters (what `celery inspect active|scheduled`
// showed, plus failed), a TaskRun's table row (like the CRD's printer columns), plain-text tables,
// why a log has no pod, and the TaskRun (and its name) a retry creates from a finished one.
import { LABELS } from "../operator/api/common.ts";
import { FINISHED_PHASES, type TaskRun, type TaskRunPhase } from "../operator/api/taskrun.ts";
import { boundedName, MAX_TASKRUN_NAME } from "../operator/naming.ts";

export type ListFilter = "active" | "scheduled" | "failed";

const ACTIVE: ReadonlySet<string> = new Set<TaskRunPhase>(["Pending", "Waiting", "Running", "Retrying"]);
const FAILED: ReadonlySet<string> = new Set<TaskRunPhase>(["Failed", "Expired"]);
const RETRYABLE: ReadonlySet<string> = new Set<TaskRunPhase>(["Failed", "Expired", "Cancelled"]);

/** A phase the operator has not written yet counts as Pending. */
export const phaseOf = (t: TaskRun) => t.status?.phase ?? "Pending";

/** Does the TaskRun match the filter at time `now`? Scheduled: a schedule, or a run due later (an ETA). */
export function matches(t: TaskRun, filter: ListFilter, now: Date): boolean {
  const phase = phaseOf(t);
  if (filter === "failed") return FAILED.has(phase);
  const dueLater = t.spec.runAt !== undefined && Date.parse(t.spec.runAt) > now.getTime();
  if (filter === "scheduled") return phase === "Scheduled" || (dueLater && ACTIVE.has(phase));
  return ACTIVE.has(phase) && !dueLater;
}

/**
 * Where a run stands that a wait gave up on. No status at all means no operator has seen it: most
 * often one that does not watch this namespace.
 */
export function unfinishedState(t: TaskRun): string {
  const phase = t.status?.phase;
  if (!phase) {
    return `no operator has recorded a status for it (is one running and watching namespace ${t.metadata.namespace}?)`;
  }
  const conditions = t.status?.conditions ?? [];
  const why =
    conditions.find((c) => c.type === "Admitted" && c.status === "False") ??
    conditions.find((c) => c.type === "Succeeded" && c.message);
  return why?.message ? `it is ${phase}: ${why.reason}: ${why.message}` : `it is ${phase}`;
}

/** "45s", "12m", "3h", "5d" (kubectl's AGE style, one unit). */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export const LIST_COLUMNS = [
  "NAME",
  "TASK",
  "QUEUE",
  "PHASE",
  "ATTEMPTS",
  "AGE",
  "DURATION",
  "REASON",
] as const;

export function taskRunRow(t: TaskRun, now: Date): string[] {
  const created = t.metadata.creationTimestamp
    ? new Date(t.metadata.creationTimestamp).getTime()
    : now.getTime();
  const reason = t.status?.conditions?.find((c) => c.type === "Succeeded")?.reason ?? "";
  return [
    t.metadata.name ?? "",
    t.spec.task,
    t.status?.queue ?? t.spec.queue ?? "",
    phaseOf(t),
    String(t.status?.attemptCount ?? t.status?.attempts?.length ?? 0),
    shortDuration(now.getTime() - created),
    t.status?.duration ?? "",
    reason,
  ];
}

/** Left-aligned columns separated by three spaces, as kubectl prints them. */
export function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** The pod of attempt `attempt` (1-based; default the latest), as the TaskRun's status records it. */
export function attemptPod(
  t: TaskRun,
  attempt?: number,
): { attempt: number; pod?: string; job?: string } | undefined {
  const attempts = t.status?.attempts ?? [];
  const chosen = attempt === undefined ? attempts.at(-1) : attempts.find((a) => a.attempt === attempt);
  return chosen
    ? { attempt: chosen.attempt, job: chosen.job, ...(chosen.pod ? { pod: chosen.pod } : {}) }
    : undefined;
}

/**
 * Why there is no pod to show the log of. Asking for an attempt the run never had is a usage error;
 * otherwise the pod is not made yet, or it was removed (a finished run's Job and pod are deleted).
 */
export function missingPod(t: TaskRun, attempt: number | undefined): { usage: boolean; message: string } {
  const name = t.metadata.name ?? "";
  const phase = phaseOf(t);
  const attempts = t.status?.attemptCount ?? t.status?.attempts?.length ?? 0;
  const had = `it has had ${attempts} attempt${attempts === 1 ? "" : "s"}`;
  if (attempt !== undefined && attempt > attempts) {
    return { usage: true, message: `TaskRun ${name} has no pod for attempt ${attempt}: ${had}` };
  }
  const finished = FINISHED_PHASES.has(phase as TaskRunPhase);
  if (attempts === 0) {
    return {
      usage: false,
      message: finished
        ? `TaskRun ${name} ended ${phase} without running: it never had a pod`
        : `TaskRun ${name} has no pod yet: it is ${phase} and no attempt has started`,
    };
  }
  const which = `attempt ${attempt ?? attempts} of TaskRun ${name}`;
  return {
    usage: false,
    message: finished
      ? `the pod of ${which} is gone: the run ended ${phase} and its pods were removed`
      : `the pod of ${which} is not there: not created yet, or removed (the run is ${phase})`,
  };
}

export const RETRY_OF_ANNOTATION = `${LABELS.taskRun.split("/")[0]}/retry-of`;

/** A retry is named by generateName: the name, "-r-", and 5 characters the API server adds. */
const RETRY_SUFFIX = "-r-";
const GENERATED_CHARACTERS = 5;
const RETRY_SUFFIXES = /(-r-[a-z0-9]{5})+$/;

/**
 * The generateName of a retry of `t`: within MAX_TASKRUN_NAME once the API server has added its
 * characters (a long name is cut and gets a hash), and a retry of a retry replaces the earlier
 * "-r-xxxxx" instead of adding another, so that retrying again and again does not grow the name.
 */
export function retryGenerateName(t: TaskRun): string {
  const name = t.metadata.name ?? "";
  const isRetry = t.metadata.annotations?.[RETRY_OF_ANNOTATION] !== undefined;
  const base = isRetry ? name.replace(RETRY_SUFFIXES, "") : name;
  return boundedName(base, RETRY_SUFFIX, MAX_TASKRUN_NAME - GENERATED_CHARACTERS);
}

/**
 * A new TaskRun that runs the same task with the same input and run options as `failed`, which
 * must have ended Failed, Expired or Cancelled. Not copied: cancel, runAt, expiresAt and the
 * schedule. The idempotency key is carried over (the original's own key, else its uid, which is the
 * key its runner used): a side effect the failed run already made (a sent email) is not made twice.
 */
export function retryOf(failed: TaskRun): { ok: true; taskRun: TaskRun } | { ok: false; message: string } {
  const phase = phaseOf(failed);
  const name = failed.metadata.name ?? "";
  if (!RETRYABLE.has(phase)) {
    return {
      ok: false,
      message: `TaskRun ${name} is ${phase}; only a Failed, Expired or Cancelled run can be retried`,
    };
  }
  if (failed.spec.schedule)
    return { ok: false, message: `TaskRun ${name} is a schedule; retry one of its runs instead` };
  // Refused for its input before any attempt: the same input is refused the same way. (An unknown
  // task may be known after an upgrade of the operator, so that run may be retried.)
  const input = failed.status?.conditions?.find((c) => c.type === "InputValid");
  if (input?.status === "False" && (input.reason === "InvalidInput" || input.reason === "InputTooLarge")) {
    return {
      ok: false,
      message:
        `TaskRun ${name} never started: ${input.message ?? input.reason}. A retry with the same input ` +
        `would be refused the same way: submit it again with a corrected input (kubectl task submit ${failed.spec.task} --input ...)`,
    };
  }
  const { cancel: _c, runAt: _r, expiresAt: _e, schedule: _s, ...rest } = failed.spec;
  const idempotencyKey = failed.spec.idempotencyKey ?? failed.metadata.uid;
  const spec = idempotencyKey ? { ...rest, idempotencyKey } : rest;
  return {
    ok: true,
    taskRun: {
      apiVersion: failed.apiVersion,
      kind: "TaskRun",
      metadata: {
        generateName: retryGenerateName(failed),
        namespace: failed.metadata.namespace,
        annotations: { [RETRY_OF_ANNOTATION]: name },
      } as TaskRun["metadata"],
      spec,
    },
  };
}
