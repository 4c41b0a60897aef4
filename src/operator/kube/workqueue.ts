// A work queue of object keys, as client-go's: a key waiting is never queued twice, a key being
// processed is never handed to a second worker (a change meanwhile requeues it once after), and
// failures back off per key (exponential, capped). Delayed adds keep only the earliest time.
export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  /** Seconds from add to a worker picking the key up. */
  waited(seconds: number): void;
  /** Seconds a worker spent on a key. */
  worked(seconds: number): void;
  retried(): void;
}

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  metrics?: WorkQueueMetrics;
}

/** The longest delay a Node.js timer honours. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  private readonly options: WorkQueueOptions;

  constructor(options: WorkQueueOptions = {}) {
    this.options = options;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  get length() {
    return this.queue.length;
  }

  add(key: string) {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.set(key, performance.now());
    this.options.metrics?.added();
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
    } else {
      this.queue.push(key);
      this.options.metrics?.depth(this.queue.length);
    }
  }

  addAfter(key: string, delayMs: number) {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    // Node fires a timer longer than 2^31-1 ms after 1 ms: cap it. The key then comes back early,
    // and its reconcile requeues it for what is left (a runAt months ahead waits in steps).
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.add(key);
      },
      Math.min(delayMs, MAX_TIMER_DELAY_MS),
    );
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Requeues after this key's next backoff step: base × 2^failures, capped. */
  addRateLimited(key: string) {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.options.metrics?.retried();
    this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n));
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string) {
    this.failures.delete(key);
  }

  failuresOf(key: string) {
    return this.failures.get(key) ?? 0;
  }

  private take(key: string) {
    const addedAt = this.dirty.get(key) ?? performance.now();
    this.dirty.delete(key);
    this.processing.add(key);
    this.options.metrics?.waited((performance.now() - addedAt) / 1000);
  }

  /** The next key, or undefined once shut down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.options.metrics?.depth(this.queue.length);
      this.take(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string) {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown() {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /** Runs `workers` loops calling `handle` until shut down; resolves when all have stopped. */
  async run(workers: number, handle: (key: string) => Promise<void>): Promise<void> {
    const loop = async () => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        const started = performance.now();
        try {
          await handle(key);
        } finally {
          this.options.metrics?.worked((performance.now() - started) / 1000);
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }
}
