// The Jobs of one queue as admission sees them (pure): which wait suspended, which were admitted,
// which run, and the strict admission order. The facts come from the cluster's Jobs (an informer
// cache), never from counters in memory, so they hold across restarts and replicas.
import { GROUP } from "../api/common.ts";
import type { Job } from "../kube/objects.ts";

export const QUEUE_ANNOTATIONS = {
  /** The TaskRun's spec.priority, copied onto its Jobs; higher is admitted first. */
  priority: `${GROUP}/priority`,
  /** The TaskRun's creation time (RFC 3339): the second ordering key. */
  taskRunCreated: `${GROUP}/taskrun-created`,
  /** When the operator created the suspended Job (milliseconds): breaks ties within one second. */
  queuedAt: `${GROUP}/queued-at`,
  /** When admission released the Job (milliseconds). */
  admittedAt: `${GROUP}/admitted-at`,
} as const;

/** The annotations a queued Job carries, from its TaskRun. */
export function queueAnnotations(
  run: { metadata: { creationTimestamp?: string | Date }; spec: { priority?: number } },
  now: Date,
): Record<string, string> {
  const created = run.metadata.creationTimestamp;
  return {
    [QUEUE_ANNOTATIONS.priority]: String(run.spec.priority ?? 0),
    [QUEUE_ANNOTATIONS.taskRunCreated]: created ? new Date(created).toISOString() : now.toISOString(),
    [QUEUE_ANNOTATIONS.queuedAt]: now.toISOString(),
  };
}

export interface QueuedJob {
  readonly name: string;
  readonly priority: number;
  readonly taskRunCreated: number;
  readonly queuedAt: number;
}

export interface QueueView {
  /** Suspended, unfinished Jobs in admission order. */
  readonly waiting: readonly QueuedJob[];
  /** Released and unfinished, no ready pod yet. */
  readonly admitted: number;
  /** Released and unfinished with a ready pod. */
  readonly running: number;
  /** Epoch ms of the oldest waiting Job's queuedAt, if any. */
  readonly oldestWaitingSince?: number;
}

export function isJobFinished(job: Job): boolean {
  return (
    job.status?.conditions?.some(
      (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
    ) ?? false
  );
}

const time = (value: string | Date | undefined, fallback: number) => {
  const ms = value === undefined ? Number.NaN : new Date(value).getTime();
  return Number.isFinite(ms) ? ms : fallback;
};

function queuedJob(job: Job): QueuedJob {
  const a = job.metadata.annotations ?? {};
  const created = time(job.metadata.creationTimestamp, 0);
  const priority = Number.parseInt(a[QUEUE_ANNOTATIONS.priority] ?? "0", 10);
  return {
    name: job.metadata.name ?? "",
    priority: Number.isFinite(priority) ? priority : 0,
    taskRunCreated: time(a[QUEUE_ANNOTATIONS.taskRunCreated], created),
    queuedAt: time(a[QUEUE_ANNOTATIONS.queuedAt], created),
  };
}

/** Priority (higher first), then TaskRun creation time, then queueing time, then name. */
export function admissionOrder(a: QueuedJob, b: QueuedJob): number {
  return (
    b.priority - a.priority ||
    a.taskRunCreated - b.taskRunCreated ||
    a.queuedAt - b.queuedAt ||
    a.name.localeCompare(b.name)
  );
}

export function viewOf(jobs: readonly Job[]): QueueView {
  const waiting: QueuedJob[] = [];
  let admitted = 0;
  let running = 0;
  for (const job of jobs) {
    if (isJobFinished(job) || job.metadata.deletionTimestamp) continue;
    if (job.spec?.suspend === true) waiting.push(queuedJob(job));
    else if ((job.status as { ready?: number } | undefined)?.ready) running++;
    else admitted++;
  }
  waiting.sort(admissionOrder);
  const oldest = waiting.length ? Math.min(...waiting.map((w) => w.queuedAt)) : undefined;
  return { waiting, admitted, running, ...(oldest !== undefined ? { oldestWaitingSince: oldest } : {}) };
}
