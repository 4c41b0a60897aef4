// Writes result records to Redis: the latest record and the attempt's own record, both with the
// TTL, and a publish on the done channel when the attempt finishes. A failed write is retried and
// then thrown: the caller fails the attempt as retryable, a result is never dropped silently.
import type { Redis } from "ioredis";
import { attemptResultKey, doneChannel, latestResultKey } from "./keys.ts";
import { type ResultRecord, serializeRecord } from "./record.ts";

export interface ResultStoreOptions {
  ttlSeconds: number;
  maxBytes: number;
  /** Tries per write before giving up (default 5). */
  writeTries?: number;
  /** First delay between tries, doubled each time (default 100 ms). */
  retryDelayMs?: number;
}

export class ResultWriteError extends Error {
  override readonly name = "ResultWriteError";
}

export class ResultStore {
  readonly #redis: Redis;
  readonly #options: Required<ResultStoreOptions>;

  constructor(redis: Redis, options: ResultStoreOptions) {
    this.#redis = redis;
    this.#options = { writeTries: 5, retryDelayMs: 100, ...options };
  }

  get maxBytes(): number {
    return this.#options.maxBytes;
  }

  /**
   * Stores `record` as the latest and as its attempt's record; publishes it when finished.
   * Throws ResultTooLargeError (before any I/O) or ResultWriteError after the last try.
   */
  async write(record: ResultRecord): Promise<void> {
    const json = serializeRecord(record, this.#options.maxBytes);
    const { ttlSeconds, writeTries, retryDelayMs } = this.#options;
    let lastError: unknown;
    for (let attempt = 1; attempt <= writeTries; attempt++) {
      try {
        const tx = this.#redis
          .multi()
          .set(latestResultKey(record.taskRun), json, "EX", ttlSeconds)
          .set(attemptResultKey(record.taskRun, record.attempt), json, "EX", ttlSeconds);
        if (record.status !== "running") tx.publish(doneChannel(record.taskRun), json);
        const replies = await tx.exec();
        const failed = replies?.find(([error]) => error);
        if (!replies) throw new Error("transaction aborted");
        if (failed) throw failed[0];
        return;
      } catch (error) {
        lastError = error;
        if (attempt < writeTries) await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
    throw new ResultWriteError(
      `could not write the result of ${record.taskRun.namespace}/${record.taskRun.name} attempt ${record.attempt} ` +
        `to Redis after ${writeTries} tries: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      { cause: lastError },
    );
  }
}
