// One kind of object as the operator caches it: an informer per watched namespace (or one for the
// whole cluster) seen as one cache. Controllers that read the same objects share one Caches, so each
// object arrives over one watch and is held once (client-go's shared informers).
import type { OperatorConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import type { KubeClient } from "./client.ts";
import { type IndexFunc, Informer, type InformerHandler } from "./informer.ts";
import type { KubeObject } from "./objects.ts";

/** What is cached. */
export interface CacheSpec {
  /** A name for logs and metrics ("jobs", "taskruns", ...). */
  resource: string;
  /** API group path, e.g. /apis/batch/v1 or /api/v1. */
  base: string;
  plural: string;
  labelSelector?: string;
  indexes?: Record<string, IndexFunc>;
}

/** How every cache of the process watches. */
export interface CacheSettings {
  /** Watched namespaces; empty: the whole cluster. */
  namespaces: string[];
  stallMs: number;
  log: Logger;
  onRestart?: (resource: string, cause: "relist" | "reconnect" | "stall") => void;
}

export const cacheSettings = (
  config: Pick<OperatorConfig, "kube" | "watchStallSeconds">,
  log: Logger,
  onRestart?: CacheSettings["onRestart"],
): CacheSettings => ({
  namespaces: config.kube.namespaces,
  stallMs: config.watchStallSeconds * 1000,
  log,
  ...(onRestart ? { onRestart } : {}),
});

/** Indexes an object by `namespace/<value of label>`. */
export const byLabel =
  (label: string): IndexFunc =>
  (o) => {
    const value = o.metadata.labels?.[label];
    return value === undefined ? undefined : `${o.metadata.namespace}/${value}`;
  };

export class Caches<T extends KubeObject> {
  readonly informers: Informer<T>[];

  constructor(client: KubeClient, settings: CacheSettings, spec: CacheSpec) {
    const { namespaces, stallMs, log, onRestart } = settings;
    const { resource, base, plural, labelSelector, indexes } = spec;
    const paths =
      namespaces.length === 0
        ? [`${base}/${plural}`]
        : namespaces.map((ns) => `${base}/namespaces/${ns}/${plural}`);
    this.informers = paths.map(
      (path) =>
        new Informer<T>(client, {
          path,
          stallMs,
          log: log.with({ resource }),
          ...(labelSelector ? { labelSelector } : {}),
          ...(indexes ? { indexes } : {}),
          ...(onRestart ? { onRestart: (cause) => onRestart(resource, cause) } : {}),
        }),
    );
  }

  get(namespace: string | undefined, name: string) {
    for (const i of this.informers) {
      const o = i.get(namespace, name);
      if (o) return o;
    }
    return undefined;
  }
  byIndex(index: string, value: string) {
    return this.informers.flatMap((i) => i.byIndex(index, value));
  }
  list() {
    return this.informers.flatMap((i) => i.list());
  }
  /** Writes our own write's response into the informer of its namespace. */
  observe(object: T) {
    this.informers.find((i) => i.covers(object.metadata.namespace))?.observe(object);
  }
  on(handler: InformerHandler<T>) {
    for (const i of this.informers) i.on(handler);
  }
  /** Resolves once every informer holds its first list (starting them once, however often called). */
  async start() {
    await Promise.all(this.informers.map((i) => i.start()));
  }
  stop() {
    for (const i of this.informers) i.stop();
  }
  get hasSynced() {
    return this.informers.every((i) => i.hasSynced);
  }
}
