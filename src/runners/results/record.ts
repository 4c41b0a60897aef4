// The result record a runner writes to Redis for each attempt of a TaskRun, and the pure rules
// around it: which exit code it means, whether more attempts may follow, how big it may be.
import { PermanentError } from "../sdk/task.ts";

export type ResultStatus = "running" | "succeeded" | "failed";

export interface ResultError {
  /** The error's type: "PermanentError", "InvalidInput", "SmtpRejected", "Aborted", "SoftTimeLimitExceeded", ... */
  type: string;
  message: string;
  retryable: boolean;
}

export interface TaskRunRef {
  namespace: string;
  name: string;
}

export interface ResultRecord {
  task: string;
  taskRun: TaskRunRef & { uid?: string };
  /** 1-based. */
  attempt: number;
  status: ResultStatus;
  /** No further attempt follows: it succeeded, failed permanently, or was the last allowed attempt. */
  final: boolean;
  startedAt: string;
  finishedAt?: string;
  progress?: { fraction: number; message?: string; at: string };
  output?: unknown;
  error?: ResultError;
}

export type ExitCode = 0 | 1 | 2;

/** The runner's exit code contract: 0 success, 1 retryable failure, 2 permanent failure. */
export function exitCodeOf(record: Pick<ResultRecord, "status" | "error">): ExitCode {
  if (record.status === "succeeded") return 0;
  return record.error?.retryable === false ? 2 : 1;
}

export function isFinal(
  status: ResultStatus,
  error: ResultError | undefined,
  attempt: number,
  maxAttempts?: number,
) {
  if (status === "running") return false;
  if (status === "succeeded" || error?.retryable === false) return true;
  return maxAttempts !== undefined && attempt >= maxAttempts;
}

/** An output too big for Redis: no retry can shrink it, so it fails the attempt permanently. */
export class ResultTooLargeError extends PermanentError {
  constructor(task: string, bytes: number, maxBytes: number) {
    super(
      `the result of ${task} is ${bytes} bytes, over the ${maxBytes}-byte limit of result records (RESULT_MAX_BYTES): ` +
        "store large outputs with ctx.services.artifacts() and return the object's key or link instead",
      { type: "ResultTooLarge" },
    );
  }
}

/** Serializes a record, refusing one over `maxBytes`. */
export function serializeRecord(record: ResultRecord, maxBytes: number): string {
  const json = JSON.stringify(record);
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) throw new ResultTooLargeError(record.task, bytes, maxBytes);
  return json;
}
