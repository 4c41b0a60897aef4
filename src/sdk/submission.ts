// Pure decisions of a submission: the task's input checked against its zod schema, the enqueue
// options turned into a TaskRun manifest (checked against the TaskRun schema, the single source
// of truth), the deterministic name an idempotency key gives, and whether a stored TaskRun is the
// same request.
import { createHash } from "node:crypto";
import type { z } from "zod";
import { API_VERSION } from "../operator/api/common.ts";
import { type TaskRun, type TaskRunSpec, taskRunSpec } from "../operator/api/taskrun.ts";
import type { FieldProblem } from "./errors.ts";

export interface EnqueueOptions {
  /** Namespace of the TaskRun (default: the client's namespace). */
  namespace?: string;
  /** Route to this TaskQueue instead of the task's own queue. */
  queue?: string;
  /** -1000..1000; higher is admitted first. */
  priority?: number;
  /** Start no earlier than this many seconds from now (Celery's countdown). */
  countdown?: number;
  /** Start no earlier than this time (Celery's eta). */
  runAt?: Date | string;
  /** A run that has not started by then ends Expired. */
  expiresAt?: Date | string;
  retry?: TaskRunSpec["retry"];
  timeouts?: TaskRunSpec["timeouts"];
  /** The same key (per namespace and task) always gives the same TaskRun, never a second one. */
  idempotencyKey?: string;
  ttlSecondsAfterFinished?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function path(prefix: string, parts: ReadonlyArray<PropertyKey>): string {
  return [prefix, ...parts.map(String)].join(".");
}

/** Every problem of `input` against the task's schema, as "input.<field>" paths. */
export function inputProblems(schema: z.ZodType, input: unknown): FieldProblem[] {
  const parsed = schema.safeParse(input);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({ field: path("input", issue.path), message: issue.message }));
}

/** A lowercase DNS-1123 slug of a task name: "email.send_welcome_email" → "email-send-welcome-email". */
export function taskSlug(task: string): string {
  return task.replace(/[._]/g, "-").slice(0, 40).replace(/-+$/, "");
}

/**
 * The TaskRun name an idempotency key gives: the task's slug and a hash of the key. Same key and
 * task → same name, so the API server refuses a second create (AlreadyExists).
 */
export function idempotentTaskRunName(task: string, key: string): string {
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 20);
  return `${taskSlug(task)}-${hash}`;
}

/** JSON with object keys sorted, so that two equal inputs compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** Is the stored TaskRun the same request (task and input) as the one being submitted? */
export function isSameRequest(stored: TaskRun, task: string, input: unknown): boolean {
  return stored.spec.task === task && canonicalJson(stored.spec.input ?? {}) === canonicalJson(input ?? {});
}

const iso = (t: Date | string) => (typeof t === "string" ? t : t.toISOString());

export type BuiltTaskRun = { ok: true; taskRun: TaskRun } | { ok: false; problems: FieldProblem[] };

/** The TaskRun for `task(input)` with `options`, or every problem with the options, named by field. */
export function buildTaskRun(
  task: string,
  input: unknown,
  options: EnqueueOptions & { namespace: string },
  now: Date,
): BuiltTaskRun {
  const problems: FieldProblem[] = [];
  if (options.countdown !== undefined && options.runAt !== undefined) {
    problems.push({ field: "options.countdown", message: "set countdown or runAt, not both" });
  }
  if (options.countdown !== undefined && !(Number.isFinite(options.countdown) && options.countdown >= 0)) {
    problems.push({ field: "options.countdown", message: "must be a number of seconds >= 0" });
  }
  const runAt =
    options.countdown !== undefined && problems.length === 0
      ? new Date(now.getTime() + options.countdown * 1000).toISOString()
      : options.runAt === undefined
        ? undefined
        : iso(options.runAt);
  const spec = {
    task,
    input: (input ?? {}) as Record<string, unknown>,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
    ...(runAt === undefined ? {} : { runAt }),
    ...(options.expiresAt === undefined ? {} : { expiresAt: iso(options.expiresAt) }),
    ...(options.ttlSecondsAfterFinished === undefined
      ? {}
      : { ttlSecondsAfterFinished: options.ttlSecondsAfterFinished }),
  };
  const parsed = taskRunSpec.safeParse(spec);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [first, ...rest] = issue.path;
      // spec fields are the user's options (spec.runAt ← options.runAt or options.countdown).
      problems.push({
        field: first === "input" ? path("input", rest) : path("options", issue.path),
        message: issue.message,
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const name =
    options.idempotencyKey === undefined ? undefined : idempotentTaskRunName(task, options.idempotencyKey);
  return {
    ok: true,
    taskRun: {
      apiVersion: API_VERSION,
      kind: "TaskRun",
      metadata: {
        ...(name === undefined ? { generateName: `${taskSlug(task)}-` } : { name }),
        namespace: options.namespace,
        ...(options.labels ? { labels: options.labels } : {}),
        ...(options.annotations ? { annotations: options.annotations } : {}),
      } as TaskRun["metadata"],
      spec,
    },
  };
}
