// One attempt of one task, shared by the entrypoint and the in-process test runner: record the
// start, read and validate the input, run with a context, enforce the soft time limit, then write
// the final record. Returns the record and the exit code it means; never throws.
import { readFileSync } from "node:fs";
import type { ZodType } from "zod";
import type { RunEnvironment } from "../config.ts";
import {
  type ExitCode,
  exitCodeOf,
  isFinal,
  type ResultError,
  type ResultRecord,
} from "../results/record.ts";
import type { ResultStore } from "../results/store.ts";
import { classifyError, describeZodError, invalidInputError, TaskAbortedError } from "./errors.ts";
import { createLogger, type LineWriter, stdoutWriter } from "./logger.ts";
import { createRedactor, secretValuesOf } from "./redact.ts";
import type { RunnerServices } from "./services.ts";
import { PermanentError, type TaskContext, type TaskDefinition } from "./task.ts";

/**
 * This process's peak RSS: VmHWM where /proc has it. Linux's ru_maxrss (process.resourceUsage)
 * also keeps what the parent held when it forked this process, so a runner started by a large
 * process (a node agent, a test runner) would report that as its own peak.
 */
export function peakRssBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {}
  return process.resourceUsage().maxRSS * 1024;
}

export interface AttemptIdentity {
  taskRun: RunEnvironment["taskRun"];
  attempt: number;
  maxAttempts?: number;
  idempotencyKey: string;
}

export interface AttemptOptions extends AttemptIdentity {
  definition: TaskDefinition;
  /** Reads the raw input; a PermanentError here (bad JSON, missing file) fails the attempt with exit 2. */
  readInput: () => Promise<unknown>;
  services: RunnerServices;
  store: ResultStore;
  /** Aborted from outside (SIGTERM), with a TaskAbortedError as reason. */
  signal?: AbortSignal;
  /** The soft time limit: the task's signal aborts with SoftTimeLimitExceeded after this long. */
  softTimeoutSeconds?: number;
  /** After an abort, how long the task may take to wind down before the attempt is ended without it. */
  abortGraceSeconds: number;
  writeLog?: LineWriter;
}

export interface AttemptOutcome {
  record: ResultRecord;
  exitCode: ExitCode;
}

const now = () => new Date().toISOString();

/** Settles with the task's outcome, or with `undefined` when it has not settled `graceMs` after the abort. */
function settleWithinGrace<T>(work: Promise<T>, signal: AbortSignal, graceMs: number) {
  type Settled = { ok: true; value: T } | { ok: false; error: unknown };
  const settled: Promise<Settled> = work.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => {
    const start = () => {
      timer = setTimeout(() => resolve(undefined), graceMs);
    };
    if (signal.aborted) start();
    else signal.addEventListener("abort", start, { once: true });
  });
  return Promise.race([settled, gaveUp]).finally(() => clearTimeout(timer));
}

export async function runAttempt(options: AttemptOptions): Promise<AttemptOutcome> {
  const { definition, store, taskRun, attempt } = options;
  const controller = new AbortController();
  const forward = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  else options.signal?.addEventListener("abort", forward, { once: true });
  const softTimer =
    options.softTimeoutSeconds === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new TaskAbortedError(
                "SoftTimeLimitExceeded",
                `${definition.name} exceeded its soft time limit of ${options.softTimeoutSeconds} s`,
              ),
            ),
          options.softTimeoutSeconds * 1000,
        );

  const bindings = { task: definition.name, namespace: taskRun.namespace, name: taskRun.name, attempt };
  let redactor = createRedactor({ sensitiveFields: definition.sensitiveFields });
  let log = createLogger(bindings, redactor, options.writeLog ?? stdoutWriter);
  const record: ResultRecord = {
    task: definition.name,
    taskRun,
    attempt,
    status: "running",
    final: false,
    startedAt: now(),
  };

  let writes = Promise.resolve();
  let progressQueued = false;
  const finish = async (result: { output: unknown } | { error: ResultError }): Promise<AttemptOutcome> => {
    clearTimeout(softTimer);
    options.signal?.removeEventListener("abort", forward);
    let final: ResultRecord = {
      ...record,
      ...("output" in result
        ? { status: "succeeded", output: redactor.output(result.output) }
        : { status: "failed", error: { ...result.error, message: redactor.text(result.error.message) } }),
      finishedAt: now(),
    };
    final.final = isFinal(final.status, final.error, attempt, options.maxAttempts);
    await writes;
    try {
      await store.write(final);
    } catch (error) {
      if (!(error instanceof PermanentError)) {
        // The record could not be stored: the attempt fails as retryable so the operator retries it.
        log.error("result write failed", { error });
        return { record: final, exitCode: 1 };
      }
      // Too large: store the failure instead, which is small.
      const { output: _dropped, ...rest } = final;
      final = { ...rest, status: "failed", final: true, error: classifyError(error) };
      try {
        await store.write(final);
      } catch (writeError) {
        log.error("result write failed", { error: writeError });
        return { record: final, exitCode: 1 };
      }
    }
    const exitCode = exitCodeOf(final);
    log.info("attempt finished", {
      status: final.status,
      exitCode,
      ...(final.error ? { error: final.error } : {}),
      durationMs: Date.parse(final.finishedAt ?? "") - Date.parse(final.startedAt),
      maxRssBytes: peakRssBytes(),
    });
    return { record: final, exitCode };
  };

  try {
    await store.write(record);
  } catch (error) {
    clearTimeout(softTimer);
    log.error("could not record the attempt's start; failing it as retryable", { error });
    return { record: { ...record, status: "failed", error: classifyError(error) }, exitCode: 1 };
  }

  let input: unknown;
  try {
    const raw = await options.readInput();
    redactor = createRedactor({
      sensitiveFields: definition.sensitiveFields,
      secrets: secretValuesOf(raw, definition.sensitiveFields ?? []),
    });
    log = createLogger(bindings, redactor, options.writeLog ?? stdoutWriter);
    const parsed = (definition.input as ZodType).safeParse(raw);
    if (!parsed.success) throw invalidInputError(parsed.error, definition.name);
    input = parsed.data;
  } catch (error) {
    return finish({ error: classifyError(error) });
  }

  const ctx: TaskContext = {
    taskRun: { namespace: taskRun.namespace, name: taskRun.name },
    attempt,
    idempotencyKey: options.idempotencyKey,
    signal: controller.signal,
    log,
    services: options.services,
    progress(fraction, message) {
      const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
      record.progress = {
        fraction: clamped,
        ...(message ? { message: redactor.text(message) } : {}),
        at: now(),
      };
      log.info("progress", { fraction: clamped, ...(message ? { progressMessage: message } : {}) });
      // Bursts coalesce: one queued write carries the latest progress, however many calls came.
      if (progressQueued) return;
      progressQueued = true;
      writes = writes.then(() => {
        progressQueued = false;
        return store.write({ ...record }).catch((error) => log.warn("progress write failed", { error }));
      });
    },
  };

  log.info("task started", {
    processUptimeMs: Math.round(performance.now()),
    rssBytes: process.memoryUsage.rss(),
  });
  const settled = await settleWithinGrace(
    Promise.resolve().then(() => definition.run(input, ctx)),
    controller.signal,
    options.abortGraceSeconds * 1000,
  );
  const abortedBy =
    controller.signal.reason instanceof TaskAbortedError ? controller.signal.reason : undefined;
  if (!settled) {
    return finish({ error: classifyError(abortedBy ?? new Error("aborted"), abortedBy) });
  }
  if (!settled.ok) return finish({ error: classifyError(settled.error, abortedBy) });
  if (definition.output) {
    const checked = definition.output.safeParse(settled.value);
    if (!checked.success) {
      const problem = new PermanentError(
        `${definition.name} returned an output that does not match its schema: ${describeZodError(checked.error)}`,
        { type: "InvalidOutput" },
      );
      return finish({ error: classifyError(problem) });
    }
    return finish({ output: checked.data });
  }
  return finish({ output: settled.value });
}
