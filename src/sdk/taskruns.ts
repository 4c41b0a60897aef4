// TaskRun access on the Kubernetes API (create, read, list, cancel, watch one until it finishes),
// with the API's failures turned into the SDK's errors. Shared by the SDK, the HTTP API (with the
// operator's credentials) and the CLI (with the user's kubeconfig).
import {
  ApiException,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../operator/api/common.ts";
import { FINISHED_PHASES, type TaskRun, type TaskRunPhase } from "../operator/api/taskrun.ts";
import { isNotFound, KubeApiError } from "../operator/kube/errors.ts";
import { apiClient } from "./api-client.ts";
import { TaskRunNotFoundError, type TaskRunRef } from "./errors.ts";

const PLURAL = "taskruns";

/** A KubeApiError with the API's Status out of a client-node ApiException (its body may be text or parsed). */
export function kubeStatusError(error: unknown, what: string): unknown {
  if (!(error instanceof ApiException)) return error;
  let body: { reason?: string; message?: string } = {};
  const raw: unknown = error.body;
  if (typeof raw === "string") {
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      body = { message: raw.slice(0, 1000) };
    }
  } else if (raw && typeof raw === "object") body = raw as typeof body;
  const reason = body.reason ?? "Unknown";
  return new KubeApiError(error.code, reason, `${what}: ${error.code} ${reason}: ${body.message ?? ""}`);
}

export const isFinished = (phase: string | undefined) =>
  phase !== undefined && FINISHED_PHASES.has(phase as TaskRunPhase);

export interface ListOptions {
  labelSelector?: string;
}

export class TaskRunApi {
  readonly #kc: KubeConfig;
  readonly #objects: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
    this.#objects = apiClient(kc, CustomObjectsApi);
  }

  async create(taskRun: TaskRun): Promise<TaskRun> {
    const namespace = taskRun.metadata.namespace ?? "default";
    try {
      return (await this.#objects.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        body: taskRun,
      })) as TaskRun;
    } catch (error) {
      throw kubeStatusError(error, `create TaskRun in ${namespace}`);
    }
  }

  async get(ref: TaskRunRef): Promise<TaskRun> {
    try {
      return (await this.#objects.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ref.namespace,
        plural: PLURAL,
        name: ref.name,
      })) as TaskRun;
    } catch (error) {
      const mapped = kubeStatusError(error, `get TaskRun ${ref.namespace}/${ref.name}`);
      if (isNotFound(mapped)) throw new TaskRunNotFoundError(ref);
      throw mapped;
    }
  }

  /** TaskRuns of one namespace, or of all namespaces when `namespace` is undefined. */
  async list(namespace: string | undefined, options: ListOptions = {}): Promise<TaskRun[]> {
    return (await this.#page(namespace, options)).items;
  }

  /** One list call, with the collection's resourceVersion (to watch from). */
  async #page(
    namespace: string | undefined,
    options: ListOptions & { fieldSelector?: string },
  ): Promise<{ metadata?: { resourceVersion?: string }; items: TaskRun[] }> {
    try {
      return (
        namespace === undefined
          ? await this.#objects.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural: PLURAL,
              ...options,
            })
          : await this.#objects.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace,
              plural: PLURAL,
              ...options,
            })
      ) as { metadata?: { resourceVersion?: string }; items: TaskRun[] };
    } catch (error) {
      throw kubeStatusError(error, `list TaskRuns in ${namespace ?? "all namespaces"}`);
    }
  }

  /** Sets spec.cancel (a JSON merge patch): the operator stops the pod and ends the run Cancelled. */
  /**
   * Cancels a run that has not ended: sets spec.cancel on the version it read, so that a run that
   * ends in between is not marked cancelled. A run that has ended is left as it is.
   */
  async cancel(
    ref: TaskRunRef,
  ): Promise<{ cancelled: true; taskRun: TaskRun } | { cancelled: false; phase: string }> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(ref);
      const phase = current.status?.phase;
      if (isFinished(phase)) return { cancelled: false, phase: phase ?? "" };
      try {
        return { cancelled: true, taskRun: await this.#setCancel(ref, current.metadata.resourceVersion) };
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409) || attempt === 3) throw error;
      }
    }
  }

  /** Sets spec.cancel on that version of the TaskRun (409 Conflict when it changed since). */
  async #setCancel(ref: TaskRunRef, resourceVersion: string | undefined): Promise<TaskRun> {
    try {
      return (await this.#objects.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: ref.namespace,
          plural: PLURAL,
          name: ref.name,
          body: { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec: { cancel: true } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      )) as TaskRun;
    } catch (error) {
      const mapped = kubeStatusError(error, `cancel TaskRun ${ref.namespace}/${ref.name}`);
      if (isNotFound(mapped)) throw new TaskRunNotFoundError(ref);
      throw mapped;
    }
  }

  /**
   * Resolves with the TaskRun once its phase is finished (Succeeded, Failed, Cancelled, Expired);
   * rejects with TaskRunNotFoundError when there is no such TaskRun, or when it is deleted while
   * waited for. A list of that one name first (a watch of a name that does not exist waits
   * forever), then a watch from the list's resourceVersion, so that no change in between is missed;
   * no polling. The list's version is the collection's current one: the object's own can be too
   * old to watch from (410) when it has not changed for a while, and listing again would give the
   * same version, in a loop. A run that has already finished is returned even when `signal` has
   * aborted (a timeout of 0 asks "is it done?").
   */
  async waitFinished(ref: TaskRunRef, signal: AbortSignal): Promise<TaskRun> {
    // undefined: the state is not known (at the start, or after the watch's resourceVersion expired).
    let current: Watched | undefined;
    while (true) {
      current ??= await this.#listOne(ref);
      if (isFinished(current.run.status?.phase)) return current.run;
      signal.throwIfAborted();
      current = await this.#watchFrom(ref, current, signal);
    }
  }

  /** The TaskRun and the collection's resourceVersion to watch it from. */
  async #listOne(ref: TaskRunRef): Promise<Watched> {
    const page = await this.#page(ref.namespace, { fieldSelector: `metadata.name=${ref.name}` });
    const [run] = page.items;
    if (!run) throw new TaskRunNotFoundError(ref);
    return { run, resourceVersion: page.metadata?.resourceVersion ?? run.metadata.resourceVersion ?? "" };
  }

  /**
   * Watches the TaskRun from `from.resourceVersion` (bookmarks keep it current). Resolves once the
   * run is finished, with the latest state seen when the watch ends (the server's timeout, or
   * client-node's after 30 s without an event), or with undefined when the resourceVersion is too
   * old to watch from (410 Gone).
   */
  #watchFrom(ref: TaskRunRef, from: Watched, signal: AbortSignal): Promise<Watched | undefined> {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${ref.namespace}/${PLURAL}`;
    const query = {
      fieldSelector: `metadata.name=${ref.name}`,
      resourceVersion: from.resourceVersion,
      allowWatchBookmarks: true,
    };
    let latest = from;
    return new Promise<Watched | undefined>((resolve, reject) => {
      let controller: AbortController | undefined;
      let settled = false;
      const settle = (outcome: { value: Watched | undefined } | { error: unknown }) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        controller?.abort();
        if ("error" in outcome) reject(outcome.error);
        else resolve(outcome.value);
      };
      const onAbort = () => settle({ error: signal.reason });
      signal.addEventListener("abort", onAbort, { once: true });
      new Watch(this.#kc)
        .watch(
          path,
          query,
          (type, object: TaskRun) => {
            if (type === "DELETED") return settle({ error: new TaskRunNotFoundError(ref) });
            // An ERROR event carries a Status: the resourceVersion expired (410), so list again.
            if (type === "ERROR") return settle({ value: undefined });
            const resourceVersion = object.metadata?.resourceVersion ?? latest.resourceVersion;
            latest = type === "BOOKMARK" ? { ...latest, resourceVersion } : { run: object, resourceVersion };
            if (isFinished(latest.run.status?.phase)) settle({ value: latest });
          },
          (error: unknown) => {
            const ended = error === null || error === undefined || isWatchInactivityTimeout(error);
            settle(ended ? { value: latest } : { error });
          },
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          (error: unknown) => settle({ error }),
        );
    });
  }
}

/** The TaskRun being waited for, and the resourceVersion to watch on from. */
interface Watched {
  run: TaskRun;
  resourceVersion: string;
}

/** client-node's Watch ends a watch that had no event for 30 s with this error: watch again. */
const isWatchInactivityTimeout = (error: unknown) =>
  error instanceof DOMException && error.name === "TimeoutError";
