// A work queue of object keys, as client-go's: a key waiting is never queued twice, a key being
// processed is never handed to a second worker (a change meanwhile requeues it once after), and
// failures back off per key (exponential, capped). Delayed adds keep only the earliest time.
// Two lanes, as controller-runtime's priority queue: "first" keys (objects nothing has acted on yet,
// such as a new TaskRun that needs its Job) go before "normal" ones (bookkeeping such as a status
// write), and at most `maxNormalInFlight` normal keys are processed at once, so that in a burst the
// API server's capacity goes to starting new work before the status of earlier work catches up. A
// normal key that has waited `promoteAfterMs` takes turns with first keys: delayed, never starved.
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
  /** How long a normal key may wait behind first keys before the lanes take turns (default 2 s). */
  promoteAfterMs?: number;
  /** Normal keys processed at once (default: no limit). */
  maxNormalInFlight?: number;
  metrics?: WorkQueueMetrics;
}

export type Lane = "first" | "normal";

/** The longest delay a Node.js timer honours. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly lanes: Record<Lane, string[]> = { first: [], normal: [] };
  private readonly dirty = new Map<string, number>();
  /** Keys being processed, with the lane each was taken from. */
  private readonly processing = new Map<string, Lane>();
  private normalInFlight = 0;
  private normalsTurn = false;
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly promoteAfterMs: number;
  private readonly maxNormalInFlight: number;

  private readonly options: WorkQueueOptions;

  constructor(options: WorkQueueOptions = {}) {
    this.options = options;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.promoteAfterMs = options.promoteAfterMs ?? 2_000;
    this.maxNormalInFlight = options.maxNormalInFlight ?? Number.POSITIVE_INFINITY;
  }

  get length() {
    return this.lanes.first.length + this.lanes.normal.length;
  }

  /** Queues `key` unless it already waits (then it keeps its place and lane). */
  add(key: string, lane: Lane = "normal") {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.set(key, performance.now());
    this.options.metrics?.added();
    if (this.processing.has(key)) return;
    this.lanes[lane].push(key);
    this.options.metrics?.depth(this.length);
    this.dispatch();
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

  /** The lane to serve next, if any may be served now. */
  private nextLane(): Lane | undefined {
    const { first, normal } = this.lanes;
    const oldestNormal = normal[0];
    const normalAllowed = oldestNormal !== undefined && this.normalInFlight < this.maxNormalInFlight;
    if (first.length === 0) return normalAllowed ? "normal" : undefined;
    if (!normalAllowed) return "first";
    const waitedMs = performance.now() - (this.dirty.get(oldestNormal) ?? performance.now());
    this.normalsTurn = waitedMs >= this.promoteAfterMs && !this.normalsTurn;
    return this.normalsTurn ? "normal" : "first";
  }

  /** Hands waiting keys to waiting workers, as far as the lanes allow. */
  private dispatch() {
    while (this.waiters.length > 0) {
      const lane = this.nextLane();
      const key = lane && this.lanes[lane].shift();
      if (!lane || key === undefined) return;
      this.options.metrics?.depth(this.length);
      const addedAt = this.dirty.get(key) ?? performance.now();
      this.dirty.delete(key);
      this.processing.set(key, lane);
      if (lane === "normal") this.normalInFlight++;
      this.options.metrics?.waited((performance.now() - addedAt) / 1000);
      this.waiters.shift()?.(key);
    }
  }

  /** The next key, or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const next = new Promise<string | undefined>((resolve) => this.waiters.push(resolve));
    this.dispatch();
    return next;
  }

  done(key: string) {
    if (this.processing.get(key) === "normal") this.normalInFlight--;
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    this.dispatch();
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
