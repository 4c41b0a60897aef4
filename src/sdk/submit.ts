// One submission, shared by the SDK and the HTTP API: look the task up, check input and options
// (every bad field at once), create the TaskRun, and resolve an idempotency key that was used
// before into the same TaskRun, or a conflict when the request differs.
import type { TaskRun } from "../operator/api/taskrun.ts";
import { isAlreadyExists } from "../operator/kube/errors.ts";
import type { TaskDefinition } from "../runners/sdk/task.ts";
import { IdempotencyConflictError, TaskInputError, UnknownTaskError } from "./errors.ts";
import { buildTaskRun, type EnqueueOptions, inputProblems, isSameRequest } from "./submission.ts";
import type { TaskRunApi } from "./taskruns.ts";

export interface SubmitDeps {
  taskRuns: TaskRunApi;
  tasks: ReadonlyMap<string, TaskDefinition>;
  now?: () => Date;
}

export interface Submitted {
  taskRun: TaskRun;
  /** False when an idempotency key found the TaskRun of an earlier, identical request. */
  created: boolean;
}

export async function submitTask(
  deps: SubmitDeps,
  task: string,
  input: unknown,
  options: EnqueueOptions & { namespace: string },
): Promise<Submitted> {
  const definition = deps.tasks.get(task);
  if (!definition) throw new UnknownTaskError(task, [...deps.tasks.keys()].sort());
  const built = buildTaskRun(task, input, options, deps.now?.() ?? new Date());
  const problems = [...inputProblems(definition.input, input ?? {}), ...(built.ok ? [] : built.problems)];
  // buildTaskRun also reports input problems of the TaskRun schema (not an object, too many keys).
  const unique = problems.filter(
    (p, i) => problems.findIndex((q) => q.field === p.field && q.message === p.message) === i,
  );
  if (!built.ok || unique.length > 0) throw new TaskInputError(task, unique);
  try {
    return { taskRun: await deps.taskRuns.create(built.taskRun), created: true };
  } catch (error) {
    const key = options.idempotencyKey;
    if (!(isAlreadyExists(error) && key !== undefined)) throw error;
    const ref = { namespace: options.namespace, name: built.taskRun.metadata.name as string };
    const stored = await deps.taskRuns.get(ref);
    if (!isSameRequest(stored, task, input)) throw new IdempotencyConflictError(key, ref);
    return { taskRun: stored, created: false };
  }
}
