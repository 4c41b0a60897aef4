// A work queue of object keys, as client-go's: a key waiting is never queued twice, a key being
// processed is never handed to a second worker (a change meanwhile requeues it once after), and
// failures back off per key (exponential, capped). Delayed adds keep only the earliest time.
// Two lanes, as controller-runtime's priority queue: "first" keys (objects nothing has acted on yet,
// such as a new TaskRun that needs its Job) go before "normal" ones (bookkeeping such as a status
// write), so that in a burst the API server's capacity goes to starting new work before the status
// of earlier work catches up: at most `maxNormalInFlight` normal keys are processed at once, and
// none start while `holdNormalAtFirstInFlight` first keys are still being processed (a burst the
// API server is still answering, even when no first key waits). Until the first lane has been quiet
// for `quietMs`, at most `maxNormalInFlightWhileBusy` normal keys run, and none while
// `yieldNormalWhile()` says the API server is congested (kube/congestion.ts): a status write then
// would delay the next Job. A normal key that has waited `promoteAfterMs` takes turns with first
// keys: delayed, never starved.
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
  /** First keys in flight that hold normal ones back (default: maxNormalInFlight). */
  holdNormalAtFirstInFlight?: number;
  /** Normal keys processed at once until the first lane has been quiet for `quietMs` (default: maxNormalInFlight). */
  maxNormalInFlightWhileBusy?: number;
  /** While this says so, normal keys wait until the first lane has been quiet for `quietMs`. */
  yieldNormalWhile?: () => boolean;
  /** Default 1 s. */
  quietMs?: number;
  metrics?: WorkQueueMetrics;
}

export type Lane = "first" | "normal";

/** The longest delay a Node.js timer honours. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class WorkQueue {
  private readonly lanes: Record<Lane, string[]> = { first: [], normal: [] };
  /** Keys waiting (or changed while processed): when they were added, and their lane. */
  private readonly dirty = new Map<string, { at: number; lane: Lane }>();
  /** Keys being processed, with the lane each was taken from. */
  private readonly processing = new Map<string, Lane>();
  private readonly inFlight: Record<Lane, number> = { first: 0, normal: 0 };
  private normalsTurn = false;
  /** When a first key was last handed out or finished. */
  private firstLaneActiveAt = Number.NEGATIVE_INFINITY;
  private quietTimer: NodeJS.Timeout | undefined;
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; lane: Lane; timer: NodeJS.Timeout }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly promoteAfterMs: number;
  private readonly maxNormalInFlight: number;
  private readonly holdNormalAtFirstInFlight: number;

  private readonly options: WorkQueueOptions;

  constructor(options: WorkQueueOptions = {}) {
    this.options = options;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.promoteAfterMs = options.promoteAfterMs ?? 2_000;
    this.maxNormalInFlight = options.maxNormalInFlight ?? Number.POSITIVE_INFINITY;
    this.holdNormalAtFirstInFlight = options.holdNormalAtFirstInFlight ?? this.maxNormalInFlight;
  }

  get length() {
    return this.lanes.first.length + this.lanes.normal.length;
  }

  /** Queues `key` unless it already waits: then it keeps its place, or moves up to the first lane. */
  add(key: string, lane: Lane = "normal") {
    if (this.shuttingDown) return;
    const waiting = this.dirty.get(key);
    if (waiting) {
      if (lane === "first" && waiting.lane === "normal") this.moveToFirstLane(key, waiting);
      return;
    }
    this.dirty.set(key, { at: performance.now(), lane });
    this.options.metrics?.added();
    if (this.processing.has(key)) return;
    this.lanes[lane].push(key);
    this.options.metrics?.depth(this.length);
    this.dispatch();
  }

  private moveToFirstLane(key: string, waiting: { lane: Lane }) {
    waiting.lane = "first";
    if (this.processing.has(key)) return; // done() queues it again, in the first lane
    this.lanes.normal.splice(this.lanes.normal.indexOf(key), 1);
    this.lanes.first.push(key);
    this.dispatch();
  }

  /** Queues `key` in `delayMs` (in `lane`); of several delayed adds, the earliest stands. */
  addAfter(key: string, delayMs: number, lane: Lane = "normal") {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key, lane);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) {
      if (lane === "first") existing.lane = "first";
      return;
    }
    if (existing) clearTimeout(existing.timer);
    // Node fires a timer longer than 2^31-1 ms after 1 ms: cap it. The key then comes back early,
    // and its reconcile requeues it for what is left (a runAt months ahead waits in steps).
    const timer = setTimeout(
      () => {
        const fired = this.timers.get(key);
        this.timers.delete(key);
        this.add(key, fired?.lane ?? lane);
      },
      Math.min(delayMs, MAX_TIMER_DELAY_MS),
    );
    timer.unref();
    this.timers.set(key, { at, lane: existing?.lane === "first" ? "first" : lane, timer });
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
    if (oldestNormal === undefined) return first.length > 0 ? "first" : undefined;
    const waitedMs = performance.now() - (this.dirty.get(oldestNormal)?.at ?? performance.now());
    const promoted = waitedMs >= this.promoteAfterMs;
    const window = promoted ? this.maxNormalInFlight : this.normalWindow();
    if (this.inFlight.normal >= window) return first.length > 0 ? "first" : undefined;
    // No first key waits, but a burst may still be in flight: its done() calls come back here.
    if (first.length === 0)
      return promoted || this.inFlight.first < this.holdNormalAtFirstInFlight ? "normal" : undefined;
    this.normalsTurn = promoted && !this.normalsTurn;
    return this.normalsTurn ? "normal" : "first";
  }

  /**
   * How many normal keys may be in flight: all once the first lane has been quiet for `quietMs`;
   * until then `maxNormalInFlightWhileBusy`, or none while `yieldNormalWhile()` says so (and the
   * queue dispatches again when the lane turns quiet).
   */
  private normalWindow(): number {
    const quietInMs = this.firstLaneActiveAt + (this.options.quietMs ?? 1_000) - performance.now();
    if (quietInMs <= 0) return this.maxNormalInFlight;
    if (!this.quietTimer) {
      this.quietTimer = setTimeout(() => {
        this.quietTimer = undefined;
        this.dispatch();
      }, quietInMs + 1);
      this.quietTimer.unref();
    }
    if (this.options.yieldNormalWhile?.()) return 0;
    return Math.min(
      this.maxNormalInFlight,
      this.options.maxNormalInFlightWhileBusy ?? Number.POSITIVE_INFINITY,
    );
  }

  /** Hands waiting keys to waiting workers, as far as the lanes allow. */
  private dispatch() {
    while (this.waiters.length > 0) {
      const lane = this.nextLane();
      const key = lane && this.lanes[lane].shift();
      if (!lane || key === undefined) return;
      this.options.metrics?.depth(this.length);
      const addedAt = this.dirty.get(key)?.at ?? performance.now();
      this.dirty.delete(key);
      this.processing.set(key, lane);
      this.inFlight[lane]++;
      if (lane === "first") this.firstLaneActiveAt = performance.now();
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
    const lane = this.processing.get(key);
    if (lane) this.inFlight[lane]--;
    if (lane === "first") this.firstLaneActiveAt = performance.now();
    this.processing.delete(key);
    const changed = this.dirty.get(key);
    if (changed) {
      this.dirty.delete(key);
      this.add(key, changed.lane);
    }
    this.dispatch();
  }

  shutDown() {
    this.shuttingDown = true;
    clearTimeout(this.quietTimer);
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
