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
    try {
      const page = (
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
      ) as { items: TaskRun[] };
      return page.items;
    } catch (error) {
      throw kubeStatusError(error, `list TaskRuns in ${namespace ?? "all namespaces"}`);
    }
  }

  /** Sets spec.cancel (a JSON merge patch): the operator stops the pod and ends the run Cancelled. */
  async cancel(ref: TaskRunRef): Promise<TaskRun> {
    try {
      return (await this.#objects.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: ref.namespace,
          plural: PLURAL,
          name: ref.name,
          body: { spec: { cancel: true } },
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
   * Resolves with the TaskRun once its phase is finished (Succeeded, Failed, Cancelled, Expired).
   * A watch (no polling): its first events are the current state, so nothing is missed.
   */
  async waitFinished(ref: TaskRunRef, signal: AbortSignal): Promise<TaskRun> {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${ref.namespace}/${PLURAL}`;
    const query = { fieldSelector: `metadata.name=${ref.name}` };
    while (true) {
      signal.throwIfAborted();
      const finished = await new Promise<TaskRun | undefined>((resolve, reject) => {
        let controller: AbortController | undefined;
        const onAbort = () => {
          controller?.abort();
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        const settle = (value: TaskRun | undefined, error?: unknown) => {
          signal.removeEventListener("abort", onAbort);
          controller?.abort();
          if (error) reject(error);
          else resolve(value);
        };
        new Watch(this.#kc)
          .watch(
            path,
            query,
            (type, object: TaskRun) => {
              if (type === "DELETED") settle(undefined, new TaskRunNotFoundError(ref));
              else if (isFinished(object.status?.phase)) settle(object);
            },
            // The server ends a watch after its timeout: start another one (it replays the state).
            (error: unknown) => settle(undefined, error && !signal.aborted ? error : undefined),
          )
          .then(
            (c) => {
              controller = c;
              if (signal.aborted) c.abort();
            },
            (error: unknown) => settle(undefined, error),
          );
      });
      if (finished) return finished;
    }
  }
}
