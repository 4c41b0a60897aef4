// Reading results: the latest record, the attempt history, and waiting for a TaskRun to finish
// through the done channel (no polling). Used by the TypeScript SDK and the HTTP API.
import type { Redis } from "ioredis";
import type { RunnerConfig } from "../config.ts";
import { connectRedis } from "./connection.ts";
import { attemptResultKey, doneChannel, latestResultKey } from "./keys.ts";
import type { ResultRecord, TaskRunRef } from "./record.ts";

export class ResultWaitTimeoutError extends Error {
  override readonly name = "ResultWaitTimeoutError";
}

export interface WaitOptions {
  /** Give up after this long (default: wait until `signal` aborts). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Resolve on any finished attempt, not only on the final one (default false). */
  anyAttempt?: boolean;
}

export class ResultsClient {
  readonly #redis: Redis;
  readonly #ownsConnection: boolean;

  /** Uses an existing connection (not closed by `close()`), or opens one from the Redis settings. */
  constructor(redis: Redis | RunnerConfig["redis"]) {
    this.#ownsConnection = !("duplicate" in redis);
    this.#redis = "duplicate" in redis ? redis : connectRedis(redis, { name: "synthetiq-results-client" });
  }

  async read(ref: TaskRunRef): Promise<ResultRecord | null> {
    const json = await this.#redis.get(latestResultKey(ref));
    return json === null ? null : (JSON.parse(json) as ResultRecord);
  }

  /** Every attempt's record still held (oldest first; expired ones are left out). */
  async attempts(ref: TaskRunRef): Promise<ResultRecord[]> {
    const latest = await this.read(ref);
    if (!latest) return [];
    const keys = Array.from({ length: latest.attempt }, (_, i) => attemptResultKey(ref, i + 1));
    const values = await this.#redis.mget(...keys);
    return values.flatMap((json) => (json === null ? [] : [JSON.parse(json) as ResultRecord]));
  }

  /**
   * Resolves with the record once the TaskRun is final (or, with `anyAttempt`, once an attempt
   * finishes). Subscribes first, then reads, so a result written in between is not missed.
   */
  async waitForCompletion(ref: TaskRunRef, options: WaitOptions = {}): Promise<ResultRecord> {
    const done = (record: ResultRecord | null): record is ResultRecord =>
      record !== null && record.status !== "running" && (record.final || options.anyAttempt === true);
    const subscriber = this.#redis.duplicate();
    const channel = doneChannel(ref);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<ResultRecord>((resolve, reject) => {
        subscriber.on("message", (from: string, json: string) => {
          const record = from === channel ? (JSON.parse(json) as ResultRecord) : null;
          if (done(record)) resolve(record);
        });
        if (options.timeoutMs !== undefined) {
          const message = `no final result for ${ref.namespace}/${ref.name} within ${options.timeoutMs} ms`;
          timer = setTimeout(() => reject(new ResultWaitTimeoutError(message)), options.timeoutMs);
        }
        onAbort = () => reject(options.signal?.reason);
        if (options.signal?.aborted) onAbort();
        options.signal?.addEventListener("abort", onAbort, { once: true });
        subscriber
          .subscribe(channel)
          .then(() => this.read(ref))
          .then((record) => {
            if (done(record)) resolve(record);
          }, reject);
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener("abort", onAbort);
      subscriber.disconnect();
    }
  }

  async close(): Promise<void> {
    if (this.#ownsConnection) await this.#redis.quit();
  }
}
