// A list-then-watch cache of one kind of object with a watchdog: a watch that says nothing (not
// even a bookmark) for `stallMs` is torn down and reopened; 410 Gone relists; failures reconnect
// with capped, jittered exponential backoff so that many informers never reconnect in a storm.

import type { KubeClient } from "./client.ts";
import { KubeApiError } from "./errors.ts";
import type { KubeObject } from "./objects.ts";

export type InformerEvent = "added" | "updated" | "deleted";
export type InformerHandler<T> = (event: InformerEvent, object: T, previous?: T) => void;

export interface InformerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface InformerOptions {
  /** Collection path, e.g. /apis/batch/v1/jobs or /apis/batch/v1/namespaces/x/jobs. */
  path: string;
  labelSelector?: string;
  stallMs: number;
  log: InformerLog;
  /** Called on each relist and reconnect, for metrics. */
  onRestart?: (cause: "relist" | "reconnect" | "stall") => void;
  /**
   * Named indexes of objects by a derived value (for example a Job by its TaskRun's key and by its
   * queue's), as client-go's Indexers: one cache serves every controller that looks objects up.
   */
  indexes?: Record<string, IndexFunc>;
}

/** The value an object is indexed under (undefined: not in this index). */
export type IndexFunc = (object: KubeObject) => string | undefined;

interface ListResponse<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** The wait before reconnect attempt `failures` (1-based): 0.5 s doubling to 30 s, minus up to half. */
export function reconnectDelayMs(failures: number, random = Math.random()): number {
  const capped = Math.min(30_000, 500 * 2 ** Math.max(0, failures - 1));
  return Math.round(capped * (1 - 0.5 * random));
}

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  /** Per index name: value → keys of the objects indexed under it. */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly stopping = new AbortController();
  private resourceVersion = "";
  private synced = false;
  private onSynced = () => {};
  private started: Promise<void> | undefined;

  private readonly client: KubeClient;
  private readonly options: InformerOptions;

  constructor(client: KubeClient, options: InformerOptions) {
    this.client = client;
    this.options = options;
  }

  on(handler: InformerHandler<T>) {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(`${namespace ?? ""}/${name}`);
  }

  list(filter?: (o: T) => boolean): T[] {
    const all = [...this.store.values()];
    return filter ? all.filter(filter) : all;
  }

  /** Objects that index `name` files under `value`. */
  byIndex(name: string, value: string): T[] {
    const keys = this.index.get(name)?.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.store.get(k)).filter((o): o is T => o !== undefined);
  }

  private put(key: string, object: T) {
    // managedFields are a large share of each object and never read here (client-go trims them too).
    delete (object.metadata as { managedFields?: unknown }).managedFields;
    const previous = this.store.get(key);
    this.store.set(key, object);
    for (const [name, indexOf] of Object.entries(this.options.indexes ?? {})) {
      const before = previous && indexOf(previous);
      const after = indexOf(object);
      if (before === after) continue;
      if (before !== undefined) this.unindex(name, before, key);
      if (after !== undefined) {
        const values = this.index.get(name) ?? new Map<string, Set<string>>();
        this.index.set(name, values);
        const keys = values.get(after) ?? new Set<string>();
        values.set(after, keys);
        keys.add(key);
      }
    }
  }

  private remove(key: string) {
    const previous = this.store.get(key);
    this.store.delete(key);
    if (!previous) return;
    for (const [name, indexOf] of Object.entries(this.options.indexes ?? {})) {
      const value = indexOf(previous);
      if (value !== undefined) this.unindex(name, value, key);
    }
  }

  private unindex(name: string, value: string, key: string) {
    const values = this.index.get(name);
    const keys = values?.get(value);
    keys?.delete(key);
    if (keys?.size === 0) values?.delete(value);
  }

  get size() {
    return this.store.size;
  }

  get hasSynced() {
    return this.synced;
  }

  /** Whether objects of `namespace` belong to this informer's collection. */
  covers(namespace: string | undefined) {
    const scope = /\/namespaces\/([^/]+)\//.exec(this.options.path)?.[1];
    return scope === undefined || scope === namespace;
  }

  /** Writes a fresher copy (from our own write's response) so the next reconcile sees it. */
  observe(object: T) {
    const key = keyOf(object);
    const current = this.store.get(key);
    if (current && Number(current.metadata.resourceVersion) >= Number(object.metadata.resourceVersion))
      return;
    this.put(key, object);
  }

  /** Starts the loop (once, however many controllers share this cache); resolves once the first list is in. */
  start(): Promise<void> {
    this.started ??= new Promise((resolve) => {
      this.onSynced = resolve;
      void this.run();
    });
    return this.started;
  }

  stop() {
    this.stopping.abort();
  }

  private emit(event: InformerEvent, object: T, previous?: T) {
    for (const handler of this.handlers) handler(event, object, previous);
  }

  private async relist() {
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await this.client.list<ListResponse<T>>(this.options.path, {
        labelSelector: this.options.labelSelector,
        limit: 500,
        continue: cont,
      });
      for (const item of page.items) {
        const key = keyOf(item);
        seen.add(key);
        const previous = this.store.get(key);
        this.put(key, item);
        if (!previous) this.emit("added", item);
        else if (previous.metadata.resourceVersion !== item.metadata.resourceVersion)
          this.emit("updated", item, previous);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    for (const [key, object] of this.store) {
      if (!seen.has(key)) {
        this.remove(key);
        this.emit("deleted", object);
      }
    }
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      this.onSynced();
    }
  }

  private apply(type: string, object: T) {
    const key = keyOf(object);
    const previous = this.store.get(key);
    if (type === "DELETED") {
      this.remove(key);
      this.emit("deleted", object);
      return;
    }
    this.put(key, object);
    this.emit(previous ? "updated" : "added", object, previous);
  }

  /** One watch connection; returns "gone" on 410, "closed" when the server ends it. */
  private async watchOnce(): Promise<"gone" | "closed" | "stalled"> {
    const connection = new AbortController();
    const abortAll = () => connection.abort();
    this.stopping.signal.addEventListener("abort", abortAll, { once: true });
    let stalled = false;
    let gone = false;
    const onStall = () => {
      stalled = true;
      connection.abort();
    };
    let timer = setTimeout(onStall, this.options.stallMs);
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(onStall, this.options.stallMs);
    };
    try {
      await this.client.watch(
        this.options.path,
        {
          labelSelector: this.options.labelSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: 240 + Math.floor(Math.random() * 120),
        },
        (event) => {
          alive();
          const object = event.object as T & { code?: number };
          if (event.type === "ERROR") {
            if (object.code === 410) gone = true;
            connection.abort();
            return;
          }
          if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
          if (event.type !== "BOOKMARK") this.apply(event.type, object);
        },
        connection.signal,
      );
      return "closed";
    } catch (error) {
      if (gone || (error instanceof KubeApiError && error.status === 410)) return "gone";
      if (stalled) return "stalled";
      if (this.stopping.signal.aborted) return "closed";
      throw error;
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener("abort", abortAll);
    }
  }

  private async run() {
    let failures = 0;
    let needList = true;
    const { path } = this.options;
    while (!this.stopping.signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const outcome = await this.watchOnce();
        failures = 0;
        if (outcome === "gone") {
          this.options.log.info("watch expired (410), relisting", { path });
          this.options.onRestart?.("relist");
          needList = true;
        } else if (outcome === "stalled") {
          this.options.log.warn("watch stalled, reconnecting", { path, stallMs: this.options.stallMs });
          this.options.onRestart?.("stall");
        }
      } catch (error) {
        failures++;
        const delay = reconnectDelayMs(failures);
        this.options.log.warn("watch failed, reconnecting", {
          path,
          error: String(error),
          failures,
          delayMs: delay,
        });
        this.options.onRestart?.("reconnect");
        await sleep(delay, this.stopping.signal);
      }
    }
  }
}
