// The one shape every task is declared with (`defineTask`), the context a task runs with, and the
// typed errors that decide whether a failed attempt is retried.
import type { z } from "zod";
import type { ArtifactStore } from "../artifacts/store.ts";

export type QueueName = "emails" | "models" | "reports" | (string & {});

export interface RetryPolicy {
  maxAttempts: number;
  backoff?: { initialSeconds?: number; factor?: number; maxSeconds?: number; jitter?: number };
}

export interface TaskTimeouts {
  /** The runner's AbortSignal fires (SIGTERM), like Celery's soft time limit. */
  softSeconds?: number;
  /** The Job's activeDeadlineSeconds: the pod is killed. */
  hardSeconds?: number;
}

export interface TaskSchedule {
  /** Five-field cron expression, e.g. "0 * * * *" for hourly. */
  cron: string;
  /** IANA zone, e.g. "Europe/Berlin"; UTC when absent. */
  timeZone?: string;
}

export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a running task sees. Built by the runner entrypoint, or in-process by the test runner. */
export interface TaskContext {
  readonly taskRun: { readonly namespace: string; readonly name: string };
  /** 1-based attempt number. */
  readonly attempt: number;
  /** Stable across all attempts of one TaskRun: use it to make side effects happen once. */
  readonly idempotencyKey: string;
  /** Aborted on SIGTERM (the soft time limit, a cancel, or a node drain). */
  readonly signal: AbortSignal;
  readonly log: TaskLogger;
  /** Reports progress, 0..1, with an optional human message. */
  progress(fraction: number, message?: string): void;
  /** Shared services, created lazily from the runner configuration. */
  readonly services: TaskServices;
}

/** Lazily created clients shared by tasks. Each getter throws a clear error when unconfigured. */
export interface TaskServices {
  redis(): import("ioredis").Redis;
  database(): import("pg").Pool;
  artifacts(): ArtifactStore;
  /** The validated runner configuration section for one integration (smtp, aws, ...). */
  config(): import("../config.ts").RunnerConfig;
}

export interface TaskDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly queue: QueueName;
  readonly description: string;
  readonly input: I;
  readonly output?: O;
  readonly retry?: RetryPolicy;
  readonly timeouts?: TaskTimeouts;
  /** Input fields never to be logged or stored in results (for example a license key). */
  readonly sensitiveFields?: readonly string[];
  /** The default schedule the chart installs for this task (cron, UTC unless timeZone says otherwise). */
  readonly schedule?: TaskSchedule;
  run(input: z.output<I>, ctx: TaskContext): Promise<z.input<O>>;
}

/** Keeps the task's name as a literal type, so that the SDK can map task names to input/output types. */
export function defineTask<const N extends string, I extends z.ZodType, O extends z.ZodType = z.ZodUnknown>(
  definition: TaskDefinition<I, O> & { readonly name: N },
): TaskDefinition<I, O> & { readonly name: N } {
  return Object.freeze({ ...definition });
}

/** A failure that no retry can fix (bad input, a 5xx SMTP reply, an unknown customer): exit 2. */
export class PermanentError extends Error {
  override readonly name: string = "PermanentError";
  readonly type: string;
  constructor(message: string, options?: { type?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.type = options?.type ?? "PermanentError";
  }
}

/** A failure worth another attempt (a 4xx SMTP reply, a timeout, throttling): exit 1. */
export class RetryableError extends Error {
  override readonly name: string = "RetryableError";
  readonly type: string;
  constructor(message: string, options?: { type?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.type = options?.type ?? "RetryableError";
  }
}
