// Deciding what a failed attempt means: its error type, a message the user can act on, and
// whether another attempt may help. Pure: the entrypoint maps the answer to an exit code.
import { z } from "zod";
import type { ResultError } from "../results/record.ts";
import { PermanentError, RetryableError } from "./task.ts";

export type AbortKind = "Aborted" | "SoftTimeLimitExceeded";

/** The reason the runner aborts a task's signal with (`ctx.signal.reason`). */
export class TaskAbortedError extends Error {
  override readonly name = "TaskAbortedError";
  readonly type: AbortKind;
  constructor(type: AbortKind, message: string) {
    super(message);
    this.type = type;
  }
}

/** `order.lines[0].quantity` for zod's ["order", "lines", 0, "quantity"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || "(input)";
}

/** One line per zod issue, each naming the field: "email: Invalid email address". */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join("; ");
}

export function invalidInputError(error: z.ZodError, task: string): PermanentError {
  return new PermanentError(`invalid input for ${task}: ${describeZodError(error)}`, {
    type: "InvalidInput",
    cause: error,
  });
}

/**
 * Classifies an error thrown by a task. When the task's signal was aborted, the abort decides
 * (retryable, typed Aborted or SoftTimeLimitExceeded), whatever the task threw while winding down.
 */
export function classifyError(error: unknown, abortedBy?: TaskAbortedError): ResultError {
  const message = error instanceof Error ? error.message : String(error);
  if (abortedBy) {
    const detail =
      error === abortedBy || message === abortedBy.message ? "" : ` (the task ended with: ${message})`;
    return { type: abortedBy.type, message: `${abortedBy.message}${detail}`, retryable: true };
  }
  if (error instanceof PermanentError) return { type: error.type, message, retryable: false };
  if (error instanceof RetryableError) return { type: error.type, message, retryable: true };
  if (error instanceof z.ZodError)
    return { type: "ValidationError", message: describeZodError(error), retryable: false };
  const name = error instanceof Error && error.name !== "Error" ? error.name : "Error";
  return { type: name, message, retryable: true };
}
