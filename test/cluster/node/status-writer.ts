// Pod status writes, batched the way a kubelet's status manager does it: per pod only the newest
// status is sent (intermediate ones are coalesced away), an unchanged status is not re-sent, a
// bounded number of writes are in flight, failures are retried with backoff, a pod that no longer
// exists is dropped.
import { Limiter } from "./limiter.ts";

export type WriteStatus = (namespace: string, name: string, patch: object) => Promise<void>;

interface Pending {
  namespace: string;
  name: string;
  patch: object;
  json: string;
  waiters: Array<() => void>;
}

export class StatusWriter {
  readonly #write: WriteStatus;
  readonly #isGone: (error: unknown) => boolean;
  readonly #onError: (key: string, error: unknown) => void;
  readonly #limiter: Limiter;
  readonly #pending = new Map<string, Pending>();
  readonly #inFlight = new Set<string>();
  readonly #written = new Map<string, string>();

  constructor(options: {
    write: WriteStatus;
    concurrency: number;
    isGone: (error: unknown) => boolean;
    onError: (key: string, error: unknown) => void;
  }) {
    this.#write = options.write;
    this.#isGone = options.isGone;
    this.#onError = options.onError;
    this.#limiter = new Limiter(options.concurrency);
  }

  /** Queues `patch` as the pod's newest status; resolves once it (or a newer one) is written. */
  update(key: string, namespace: string, name: string, patch: object): Promise<void> {
    const json = JSON.stringify(patch);
    const previous = this.#pending.get(key);
    if (!previous && !this.#inFlight.has(key) && this.#written.get(key) === json) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = previous?.waiters ?? [];
      waiters.push(resolve);
      this.#pending.set(key, { namespace, name, patch, json, waiters });
      this.#schedule(key);
    });
  }

  /** Forgets a pod (deleted): its pending writes are dropped. */
  forget(key: string) {
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    this.#written.delete(key);
    for (const resolve of pending?.waiters ?? []) resolve();
  }

  #schedule(key: string, attempt = 0) {
    if (this.#inFlight.has(key)) return;
    const item = this.#pending.get(key);
    if (!item) return;
    this.#inFlight.add(key);
    this.#pending.delete(key);
    void this.#limiter.run(async () => {
      try {
        await this.#write(item.namespace, item.name, item.patch);
        this.#written.set(key, item.json);
        this.#inFlight.delete(key);
        for (const resolve of item.waiters) resolve();
        this.#schedule(key);
      } catch (error) {
        this.#inFlight.delete(key);
        if (this.#isGone(error)) {
          for (const resolve of item.waiters) resolve();
          this.forget(key);
          return;
        }
        this.#onError(key, error);
        // Retry unless a newer status arrived meanwhile (it carries the waiters on).
        const newer = this.#pending.get(key);
        this.#pending.set(key, newer ? { ...newer, waiters: [...item.waiters, ...newer.waiters] } : item);
        const delay = Math.min(30_000, 200 * 2 ** attempt);
        setTimeout(() => this.#schedule(key, attempt + 1), delay).unref();
      }
    });
  }
}
