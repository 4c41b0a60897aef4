// Retries inside one attempt for registry HTTP calls: throttling (429), 5xx and network errors
// are retried with exponential backoff and jitter; auth (401/403) and not-found (404) are
// permanent. What is left after the last try becomes a RetryableError for the operator's retry.
import { setTimeout as sleep } from "node:timers/promises";
import { PermanentError, RetryableError } from "../../sdk/task.ts";

export class HttpStatusError extends Error {
  override readonly name = "HttpStatusError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface RetryOptions {
  tries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal;
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { tries: 5, initialDelayMs: 250, maxDelayMs: 8_000 };

/** Retryable inside the attempt: throttling, server errors and network failures. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HttpStatusError)
    return error.status === 429 || error.status === 408 || error.status >= 500;
  if (error instanceof PermanentError) return false;
  return error instanceof TypeError || (error as { code?: string })?.code === "ECONNRESET";
}

export async function withRetries<T>(what: string, fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (error instanceof HttpStatusError && !isTransient(error)) {
        const kind =
          error.status === 401 || error.status === 403
            ? "RegistryAuthFailed"
            : error.status === 404
              ? "NotFound"
              : "RegistryRejected";
        throw new PermanentError(`${what}: ${error.message}`, { type: kind, cause: error });
      }
      if (!isTransient(error)) throw error;
      if (attempt >= options.tries) {
        throw new RetryableError(
          `${what}: still failing after ${attempt} tries: ${(error as Error).message}`,
          { type: "RegistryUnavailable", cause: error },
        );
      }
      const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (attempt - 1));
      const delay = Math.round(base / 2 + Math.random() * (base / 2));
      options.onRetry?.(error as Error, attempt, delay);
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}
