// Shared set-up for the operator's end-to-end tests: the CRDs applied, a namespace, one operator
// for the file, and builders/readers for TaskRuns and their Jobs.
import { afterAll, beforeAll, inject } from "vitest";
import type { TaskRun, TaskRunPhase, TaskRunSpec } from "../../../src/operator/api/taskrun.ts";
import { KubeClient } from "../../../src/operator/kube/client.ts";
import { isNotFound } from "../../../src/operator/kube/errors.ts";
import type { Job } from "../../../src/operator/kube/objects.ts";
import { useTestNamespace, waitFor } from "../../harness/kube.ts";
import { applyCrds } from "./crds.ts";

export { applyCrds };

import { type OperatorOptions, type RunningOperator, startOperator } from "../../harness/operator.ts";

export const api = () => KubeClient.load(inject("kubeconfigPath"));

export interface OperatorSuite {
  readonly namespace: string;
  readonly client: KubeClient;
  readonly operator: () => RunningOperator;
}

/**
 * A namespace, the CRDs and one running operator for the calling test file; `alsoWatch`: more
 * namespaces the operator watches besides it.
 */
export function useOperator(
  prefix: string,
  { alsoWatch = [], ...options }: Partial<OperatorOptions> & { alsoWatch?: string[] } = {},
): OperatorSuite {
  const ns = useTestNamespace(prefix);
  let client: KubeClient | undefined;
  let operator: RunningOperator | undefined;
  beforeAll(async () => {
    client = api();
    await applyCrds(client);
    operator = await startOperator({
      kubeconfigPath: inject("kubeconfigPath"),
      redisUrl: inject("redisUrl"),
      namespace: ns.name,
      ...options,
      ...(alsoWatch.length > 0
        ? { env: { ...options.env, OPERATOR_NAMESPACES: [ns.name, ...alsoWatch].join(",") } }
        : {}),
    });
  });
  afterAll(async () => {
    await operator?.stop();
    client?.close();
  });
  return {
    get namespace() {
      return ns.name;
    },
    get client() {
      if (!client) throw new Error("useOperator: used outside a test");
      return client;
    },
    operator: () => {
      if (!operator) throw new Error("useOperator: operator not started");
      return operator;
    },
  };
}

const taskRunsPath = (namespace: string) =>
  `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`;

export function createTaskRun(client: KubeClient, namespace: string, name: string, spec: TaskRunSpec) {
  return client.create<TaskRun>(taskRunsPath(namespace), {
    apiVersion: "tasks.synthetiq.io/v1alpha1",
    kind: "TaskRun",
    metadata: { name, namespace },
    spec,
  });
}

export function getTaskRun(client: KubeClient, namespace: string, name: string) {
  return client.get<TaskRun>(`${taskRunsPath(namespace)}/${name}`);
}

export function patchTaskRunSpec(
  client: KubeClient,
  namespace: string,
  name: string,
  spec: Partial<TaskRunSpec>,
) {
  return client.mergePatch<TaskRun>(`${taskRunsPath(namespace)}/${name}`, { spec });
}

export async function taskRunExists(client: KubeClient, namespace: string, name: string) {
  try {
    await getTaskRun(client, namespace, name);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export function waitForPhase(
  client: KubeClient,
  namespace: string,
  name: string,
  phases: TaskRunPhase[],
  timeoutMs = 90_000,
) {
  return waitFor(
    `TaskRun ${namespace}/${name} to reach ${phases.join(" or ")}`,
    () => getTaskRun(client, namespace, name),
    (run) => phases.includes(run.status?.phase as TaskRunPhase),
    timeoutMs,
  );
}

export async function jobsOf(client: KubeClient, namespace: string, taskRun: string): Promise<Job[]> {
  const list = await client.list<{ items: Job[] }>(`/apis/batch/v1/namespaces/${namespace}/jobs`, {
    labelSelector: `tasks.synthetiq.io/taskrun=${taskRun}`,
  });
  return list.items;
}

export const condition = (run: TaskRun, type: string) => run.status?.conditions?.find((c) => c.type === type);
