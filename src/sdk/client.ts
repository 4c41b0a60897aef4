// The TypeScript SDK's entry point: `createTaskClient(...)` gives `enqueue` (typed by the task's
// name), `sendTask` (by name, untyped) and handles on existing TaskRuns.
import { KubeConfig } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import { builtInTasks } from "../runners/registry.ts";
import { ResultsClient } from "../runners/results/index.ts";
import type { TaskDefinition } from "../runners/sdk/task.ts";
import { TaskHandle } from "./handle.ts";
import type { EnqueueOptions } from "./submission.ts";
import { submitTask } from "./submit.ts";
import type { TaskInput, TaskName, TaskOutput } from "./task-types.ts";
import { TaskRunApi } from "./taskruns.ts";

export interface TaskClientOptions {
  /** A loaded KubeConfig; else `kubeconfigPath`; else the default (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: KubeConfig;
  kubeconfigPath?: string;
  /** Namespace of new TaskRuns (default: the kubeconfig context's namespace, else "default"). */
  namespace?: string;
  /** Redis of the results (a URL or a connection, which the client does not close). Needed for result(). */
  redis?: string | Redis;
  /** The tasks that may be submitted (default: the built-in registry). */
  tasks?: ReadonlyMap<string, TaskDefinition>;
}

export interface TaskClient {
  readonly namespace: string;
  /** Submits a built-in task; its input is type-checked against the task's zod schema. */
  enqueue<N extends TaskName>(
    task: N,
    input: TaskInput<N>,
    options?: EnqueueOptions,
  ): Promise<TaskHandle<TaskOutput<N>>>;
  /** Submits a task by name (Celery's send_task); the input is checked at run time only. */
  sendTask(task: string, input: unknown, options?: EnqueueOptions): Promise<TaskHandle<unknown>>;
  /** A handle on an existing TaskRun. */
  handle<Output = unknown>(name: string, namespace?: string): TaskHandle<Output>;
  close(): Promise<void>;
}

function loadKubeConfig(options: TaskClientOptions): KubeConfig {
  if (options.kubeConfig) return options.kubeConfig;
  const kc = new KubeConfig();
  if (options.kubeconfigPath) kc.loadFromFile(options.kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}

export function createTaskClient(options: TaskClientOptions = {}): TaskClient {
  const kc = loadKubeConfig(options);
  const namespace = options.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  const taskRuns = new TaskRunApi(kc);
  const redis =
    typeof options.redis === "string"
      ? new Redis(options.redis, { connectionName: "synthetiq-sdk", maxRetriesPerRequest: 2 })
      : options.redis;
  const results = redis ? new ResultsClient(redis) : undefined;
  const deps = { taskRuns, tasks: options.tasks ?? builtInTasks };

  const submit = async <Output>(task: string, input: unknown, opts: EnqueueOptions = {}) => {
    const { taskRun } = await submitTask(deps, task, input, {
      ...opts,
      namespace: opts.namespace ?? namespace,
    });
    return new TaskHandle<Output>(
      { namespace: taskRun.metadata.namespace ?? namespace, name: taskRun.metadata.name ?? "" },
      taskRuns,
      results,
    );
  };

  return {
    namespace,
    enqueue: (task, input, opts) => submit(task, input, opts),

    sendTask: submit,
    handle: (name, ns) => new TaskHandle({ namespace: ns ?? namespace, name }, taskRuns, results),
    async close() {
      if (typeof options.redis === "string") await redis?.quit();
    },
  };
}
