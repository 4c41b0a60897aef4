// The runner process: read the environment once, find the task, run one attempt with SIGTERM
// wired to the task's AbortSignal, and return the exit code (0 success, 1 retryable, 2 permanent).
import { readFile } from "node:fs/promises";
import {
  RUN_VARS,
  type RunEnvironment,
  type RunnerConfig,
  readRunEnvironment,
  readRunnerConfig,
  TASK_RUN_ENV,
} from "../config.ts";
import { connectRedis } from "../results/connection.ts";
import type { ExitCode } from "../results/record.ts";
import { ResultStore } from "../results/store.ts";
import { runAttempt } from "./attempt.ts";
import { TaskAbortedError } from "./errors.ts";
import { type LineWriter, stdoutWriter } from "./logger.ts";
import { createRedactor } from "./redact.ts";
import { RunnerServices } from "./services.ts";
import { PermanentError, type TaskDefinition } from "./task.ts";

/** Where the runner finds the task TASK_NAME names (main.ts: the lazy loader table). */
export interface TaskSource {
  find(name: string): Promise<TaskDefinition | undefined>;
  /** Every known task name, for the "no task named ..." error. */
  names(): Promise<readonly string[]>;
}

async function readInput(source: RunEnvironment["input"]): Promise<unknown> {
  if ("none" in source) return {};
  const origin = "inline" in source ? "TASK_INPUT" : `TASK_INPUT_FILE (${source.file})`;
  let text: string;
  try {
    text = "inline" in source ? source.inline : await readFile(source.file, "utf8");
  } catch (error) {
    throw new PermanentError(`cannot read the input from ${origin}: ${(error as Error).message}`, {
      type: "InvalidInput",
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PermanentError(`the input in ${origin} is not valid JSON: ${(error as Error).message}`, {
      type: "InvalidInput",
    });
  }
}

export interface EntrypointOptions {
  tasks: TaskSource;
  env: Record<string, string | undefined>;
  writeLog?: LineWriter;
}

export async function runEntrypoint(options: EntrypointOptions): Promise<ExitCode> {
  const write = options.writeLog ?? stdoutWriter;
  const redact = createRedactor();
  const fatal = (msg: string, fields: Record<string, unknown> = {}) =>
    write(JSON.stringify(redact.value({ time: new Date().toISOString(), level: "error", msg, ...fields })));

  let run: RunEnvironment;
  let config: RunnerConfig;
  try {
    run = readRunEnvironment(options.env);
    config = readRunnerConfig(options.env);
  } catch (error) {
    fatal((error as Error).message, { exitCode: 2 });
    return 2;
  }

  const redis = connectRedis(config.redis, {
    name: `synthetiq-runner:${run.taskRun.namespace}/${run.taskRun.name}`,
  });
  let lastRedisError = "";
  redis.on("error", (error: Error) => {
    if (error.message === lastRedisError) return;
    lastRedisError = error.message;
    fatal("redis connection error", {
      error: error.message,
      namespace: run.taskRun.namespace,
      name: run.taskRun.name,
    });
  });
  const store = new ResultStore(redis, config.results);
  const services = new RunnerServices(config, { redis });
  try {
    const definition = await options.tasks.find(run.task);
    if (!definition) {
      const known = [...(await options.tasks.names())].sort().join(", ");
      // Named where the person who started the runner put it: the operator's TASK_RUN, or TASK_NAME by hand.
      const source = options.env[TASK_RUN_ENV] === undefined ? RUN_VARS.task : `${TASK_RUN_ENV}.task`;
      const message = `no task named ${JSON.stringify(run.task)} (${source}); known tasks: ${known}`;
      fatal(message, {
        namespace: run.taskRun.namespace,
        name: run.taskRun.name,
        attempt: run.attempt,
        exitCode: 2,
      });
      const now = new Date().toISOString();
      await store
        .write({
          task: run.task,
          taskRun: run.taskRun,
          attempt: run.attempt,
          status: "failed",
          final: true,
          startedAt: now,
          finishedAt: now,
          error: { type: "UnknownTask", message, retryable: false },
        })
        .catch((error) => fatal("result write failed", { error: (error as Error).message }));
      return 2;
    }

    const terminated = new AbortController();
    const onSignal = (signal: string) => () =>
      terminated.abort(
        new TaskAbortedError(
          "Aborted",
          `the runner received ${signal} (a cancel, the hard time limit or a node drain)`,
        ),
      );
    process.once("SIGTERM", onSignal("SIGTERM"));
    process.once("SIGINT", onSignal("SIGINT"));

    const softTimeoutSeconds = run.softTimeoutSeconds ?? definition.timeouts?.softSeconds;
    const outcome = await runAttempt({
      definition,
      readInput: () => readInput(run.input),
      services,
      store,
      taskRun: run.taskRun,
      attempt: run.attempt,
      ...(run.maxAttempts ? { maxAttempts: run.maxAttempts } : {}),
      idempotencyKey: run.idempotencyKey,
      signal: terminated.signal,
      ...(softTimeoutSeconds ? { softTimeoutSeconds } : {}),
      abortGraceSeconds: run.abortGraceSeconds,
      writeLog: write,
    });
    return outcome.exitCode;
  } finally {
    await services.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
