// The errors the SDK and the HTTP API raise, each carrying what the caller needs to act: the bad
// fields, the unknown task and the known ones, the conflicting idempotency key, the task's own
// error type and message.

/** One bad field: a dotted path from the request root ("input.email", "options.priority"). */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface TaskRunRef {
  namespace: string;
  name: string;
}

const refText = (ref: TaskRunRef) => `${ref.namespace}/${ref.name}`;

export class TaskInputError extends Error {
  override readonly name = "TaskInputError";
  readonly task: string;
  readonly problems: readonly FieldProblem[];
  constructor(task: string, problems: readonly FieldProblem[]) {
    super(
      `invalid request for ${task} (${problems.length} problem${problems.length === 1 ? "" : "s"}): ` +
        problems.map((p) => `${p.field}: ${p.message}`).join("; "),
    );
    this.task = task;
    this.problems = problems;
  }
}

export class UnknownTaskError extends Error {
  override readonly name = "UnknownTaskError";
  readonly task: string;
  readonly known: readonly string[];
  constructor(task: string, known: readonly string[]) {
    super(`unknown task "${task}"; known tasks: ${known.join(", ") || "(none)"}`);
    this.task = task;
    this.known = known;
  }
}

/** The idempotency key was used before with another input: the first TaskRun is left as it is. */
export class IdempotencyConflictError extends Error {
  override readonly name = "IdempotencyConflictError";
  readonly idempotencyKey: string;
  readonly taskRun: TaskRunRef;
  constructor(idempotencyKey: string, taskRun: TaskRunRef) {
    super(
      `idempotency key "${idempotencyKey}" was already used for TaskRun ${refText(taskRun)} ` +
        "with a different task or input; use a new key for a different request",
    );
    this.idempotencyKey = idempotencyKey;
    this.taskRun = taskRun;
  }
}

export class TaskRunNotFoundError extends Error {
  override readonly name = "TaskRunNotFoundError";
  readonly taskRun: TaskRunRef;
  constructor(taskRun: TaskRunRef) {
    super(`TaskRun ${refText(taskRun)} not found`);
    this.taskRun = taskRun;
  }
}

/** The run ended without an output: failed (with the task's error type), cancelled or expired. */
export class TaskFailedError extends Error {
  override readonly name = "TaskFailedError";
  readonly taskRun: TaskRunRef;
  readonly phase: string;
  /** The task's error type ("SmtpRejected", "InvalidInput", ...), or the phase when the run never ran. */
  readonly type: string;
  readonly detail: string;
  constructor(taskRun: TaskRunRef, phase: string, type: string, detail: string) {
    super(`TaskRun ${refText(taskRun)} ended ${phase}: ${type}: ${detail}`);
    this.taskRun = taskRun;
    this.phase = phase;
    this.type = type;
    this.detail = detail;
  }
}

const UNAVAILABLE_BECAUSE = {
  NoRedis: "the client has no Redis connection: pass `redis`",
  Expired: "expired from Redis: RESULT_TTL_SECONDS",
  ReadFailed: "Redis could not be read",
} as const;

/**
 * The run succeeded, but its output cannot be read: the client has no Redis, the record expired, or
 * Redis failed (worth another try, unlike the first two).
 */
export class TaskResultUnavailableError extends Error {
  override readonly name = "TaskResultUnavailableError";
  readonly taskRun: TaskRunRef;
  readonly reason: keyof typeof UNAVAILABLE_BECAUSE;
  constructor(taskRun: TaskRunRef, reason: keyof typeof UNAVAILABLE_BECAUSE, cause?: Error) {
    super(
      `TaskRun ${refText(taskRun)} succeeded but its result record is not available ` +
        `(${UNAVAILABLE_BECAUSE[reason]}${cause ? `: ${cause.message}` : ""})`,
      ...(cause ? [{ cause }] : []),
    );
    this.taskRun = taskRun;
    this.reason = reason;
  }
}

export class TaskWaitTimeoutError extends Error {
  override readonly name = "TaskWaitTimeoutError";
  readonly taskRun: TaskRunRef;
  readonly timeoutMs: number;
  constructor(taskRun: TaskRunRef, timeoutMs: number) {
    super(`TaskRun ${refText(taskRun)} did not finish within ${timeoutMs} ms`);
    this.taskRun = taskRun;
    this.timeoutMs = timeoutMs;
  }
}
