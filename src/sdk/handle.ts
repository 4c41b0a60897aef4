// A handle on one TaskRun (Celery's AsyncResult): its state, waiting for it to finish, its typed
// result, cancelling it. Waiting needs no polling: the Redis publish of a successful final result
// and a Kubernetes watch of the TaskRun race, and the first to report a finished run wins. A failed
// record does not end the wait: only the operator knows whether the run ended Failed, Cancelled or
// Expired, so a failure's phase comes from the watch (with the record's error type and message).
import type { TaskRun } from "../operator/api/taskrun.ts";
import type { ResultRecord, ResultsClient } from "../runners/results/index.ts";
import {
  TaskFailedError,
  TaskResultUnavailableError,
  TaskRunNotFoundError,
  type TaskRunRef,
  TaskWaitTimeoutError,
} from "./errors.ts";
import { isFinished, type TaskRunApi } from "./taskruns.ts";

export interface TaskOutcome {
  /** Succeeded, Failed, Cancelled or Expired. */
  phase: string;
  /** The final result record in Redis, when Redis is configured and the record has not expired. */
  record: ResultRecord | null;
  /** The TaskRun, when the watch saw it finish first. */
  taskRun?: TaskRun;
}

export interface WaitOptions {
  /** Milliseconds; without it, wait until `signal` aborts. */
  timeout?: number;
  signal?: AbortSignal;
}

/** A failed final record: the wait goes on until the TaskRun's own phase says how the run ended. */
class PhaseFromTaskRun extends Error {}

export class TaskHandle<Output = unknown> {
  readonly namespace: string;
  readonly name: string;
  readonly #taskRuns: TaskRunApi;
  readonly #results: ResultsClient | undefined;

  constructor(ref: TaskRunRef, taskRuns: TaskRunApi, results: ResultsClient | undefined) {
    this.namespace = ref.namespace;
    this.name = ref.name;
    this.#taskRuns = taskRuns;
    this.#results = results;
  }

  get ref(): TaskRunRef {
    return { namespace: this.namespace, name: this.name };
  }

  /** The TaskRun as the API server has it now. */
  status(): Promise<TaskRun> {
    return this.#taskRuns.get(this.ref);
  }

  /** Has the run finished (successfully or not)? True exactly when wait() would return at once. */
  async ready(): Promise<boolean> {
    const record = await this.#results?.read(this.ref);
    if (record?.final && record.status === "succeeded") return true;
    return isFinished((await this.status()).status?.phase);
  }

  /** Has the run finished successfully? */
  async successful(): Promise<boolean> {
    const record = await this.#results?.read(this.ref);
    if (record?.final && record.status === "succeeded") return true;
    return (await this.status()).status?.phase === "Succeeded";
  }

  /**
   * Resolves once the run has finished, however it ended; rejects with TaskWaitTimeoutError, or with
   * TaskRunNotFoundError when there is no such TaskRun (or it is deleted while waited for).
   */
  async wait(options: WaitOptions = {}): Promise<TaskOutcome> {
    const stop = new AbortController();
    const timeout = options.timeout;
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(() => stop.abort(new TaskWaitTimeoutError(this.ref, timeout)), timeout);
    const onAbort = () => stop.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const fromResults = this.#results
      ?.waitForCompletion(this.ref, { signal: stop.signal })
      .then((record): TaskOutcome => {
        if (record.status !== "succeeded") throw new PhaseFromTaskRun();
        return { phase: "Succeeded", record };
      });
    const fromWatch = this.#taskRuns.waitFinished(this.ref, stop.signal).then(
      async (taskRun): Promise<TaskOutcome> => ({
        phase: taskRun.status?.phase ?? "Unknown",
        record: (await this.#results?.read(this.ref).catch(() => null)) ?? null,
        taskRun,
      }),
      async (error: unknown): Promise<TaskOutcome> => {
        // No such TaskRun: Redis would be waited on forever, so the wait ends here, unless a
        // successful record says how a run whose TaskRun was deleted since (its TTL) ended.
        if (error instanceof TaskRunNotFoundError) {
          const record = await this.#results?.read(this.ref).catch(() => null);
          if (record?.final && record.status === "succeeded") return { phase: "Succeeded", record };
          stop.abort(error);
        }
        throw error;
      },
    );
    try {
      return await Promise.any(fromResults ? [fromResults, fromWatch] : [fromWatch]);
    } catch (error) {
      // Both sources failed: report the timeout, abort or missing TaskRun that stopped them, else the
      // watch's error.
      if (stop.signal.aborted) throw stop.signal.reason;
      throw error instanceof AggregateError ? error.errors.at(-1) : error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      stop.abort();
    }
  }

  /** Waits, then returns the task's output, or throws TaskFailedError with the task's error type. */
  async result(options: WaitOptions = {}): Promise<Output> {
    const outcome = await this.wait(options);
    if (outcome.record?.status === "succeeded") return outcome.record.output as Output;
    if (outcome.phase === "Succeeded") {
      // The watch saw it succeed without a readable record: read again to say why.
      if (!this.#results) throw new TaskResultUnavailableError(this.ref, "NoRedis");
      const again = await this.#results.read(this.ref).catch((error: unknown) => error as Error);
      if (again instanceof Error) throw new TaskResultUnavailableError(this.ref, "ReadFailed", again);
      if (again?.status === "succeeded") return again.output as Output;
      throw new TaskResultUnavailableError(this.ref, "Expired");
    }
    const taskRun = outcome.taskRun ?? (await this.status());
    const condition = taskRun.status?.conditions?.find((c) => c.type === "Succeeded");
    // A Failed run is explained by the task's error; a Cancelled or Expired one by the operator (the
    // runner of a cancelled attempt may also record an "Aborted" error: that is the cancel's SIGTERM).
    const taskError = outcome.phase === "Failed" ? outcome.record?.error : undefined;
    throw new TaskFailedError(
      this.ref,
      outcome.phase,
      taskError?.type ?? condition?.reason ?? outcome.phase,
      taskError?.message ?? condition?.message ?? "no error recorded",
    );
  }

  /**
   * Asks the operator to stop the run (sets spec.cancel); it ends Cancelled. False, and nothing
   * written, when the run has already ended.
   */
  async cancel(): Promise<boolean> {
    return (await this.#taskRuns.cancel(this.ref)).cancelled;
  }
}
