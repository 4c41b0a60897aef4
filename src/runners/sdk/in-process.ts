// Running a task in-process for tests, with real services (Redis, Postgres, artifact storage) and
// the same result record the entrypoint writes, like Temporal's MockActivityEnvironment.
import { randomUUID } from "node:crypto";
import { buildRunnerConfig, type DeepPartial, type RunnerConfigInput } from "../config.ts";
import { connectRedis } from "../results/connection.ts";
import type { ResultRecord } from "../results/record.ts";
import { ResultStore } from "../results/store.ts";
import { type AttemptOutcome, runAttempt } from "./attempt.ts";
import type { LineWriter } from "./logger.ts";
import { RunnerServices } from "./services.ts";
import type { TaskDefinition } from "./task.ts";

export interface InProcessOptions {
  /** Real Redis for results and `ctx.services.redis()` (vitest: `inject("redisUrl")`). */
  redisUrl: string;
  /** Real Postgres for `ctx.services.database()` (vitest: `inject("databaseUrl")`). */
  databaseUrl?: string;
  /** Config sections to override (smtp, artifacts, results, ...). */
  config?: DeepPartial<RunnerConfigInput>;
  taskRun?: { namespace: string; name: string; uid?: string };
  /** 1-based, default 1. */
  attempt?: number;
  maxAttempts?: number;
  /** Default: the TaskRun's uid, as in the cluster; pass the same key to simulate a retry. */
  idempotencyKey?: string;
  softTimeoutSeconds?: number;
  abortGraceSeconds?: number;
  /** Abort it with `new TaskAbortedError("Aborted", ...)` to simulate SIGTERM. */
  signal?: AbortSignal;
  /** Receives the JSON log lines (default: dropped, to keep test output quiet). */
  writeLog?: LineWriter;
}

/** Abort `options.signal` with one of these to simulate SIGTERM or the soft time limit. */
export { TaskAbortedError } from "./errors.ts";

/** Runs one attempt of `task` and returns the stored record and the exit code the entrypoint would use. */
export async function runAttemptInProcess(
  task: TaskDefinition,
  input: unknown,
  options: InProcessOptions,
): Promise<AttemptOutcome> {
  const config = buildRunnerConfig({
    ...options.config,
    redis: { ...options.config?.redis, url: options.redisUrl },
    database: { ...options.config?.database, ...(options.databaseUrl ? { url: options.databaseUrl } : {}) },
  });
  const uid = options.taskRun?.uid ?? randomUUID();
  const taskRun = { namespace: "default", name: `test-${uid.slice(0, 8)}`, ...options.taskRun, uid };
  const redis = connectRedis(config.redis, { name: "synthetiq-in-process-runner" });
  const services = new RunnerServices(config, { redis });
  try {
    return await runAttempt({
      definition: task,
      readInput: async () => input,
      services,
      store: new ResultStore(redis, config.results),
      taskRun,
      attempt: options.attempt ?? 1,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
      idempotencyKey: options.idempotencyKey ?? uid,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.softTimeoutSeconds ? { softTimeoutSeconds: options.softTimeoutSeconds } : {}),
      abortGraceSeconds: options.abortGraceSeconds ?? 5,
      writeLog: options.writeLog ?? (() => {}),
    });
  } finally {
    await services.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** Runs one attempt of `task` in-process and returns the result record it stored in Redis. */
export async function runTaskInProcess(
  task: TaskDefinition,
  input: unknown,
  options: InProcessOptions,
): Promise<ResultRecord> {
  return (await runAttemptInProcess(task, input, options)).record;
}
