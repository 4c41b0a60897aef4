// The TypeScript SDK: submit tasks as TaskRuns and watch them (replaces Celery's .delay(),
// send_task and AsyncResult). See docs/sdk.md.
export { createTaskClient, type TaskClient, type TaskClientOptions } from "./client.ts";
export {
  type FieldProblem,
  IdempotencyConflictError,
  TaskFailedError,
  TaskInputError,
  TaskResultUnavailableError,
  TaskRunNotFoundError,
  TaskWaitTimeoutError,
  UnknownTaskError,
} from "./errors.ts";
export { TaskHandle, type TaskOutcome, type WaitOptions } from "./handle.ts";
export type { EnqueueOptions } from "./submission.ts";
export type { TaskInput, TaskName, TaskOutput, TaskTypes } from "./task-types.ts";
