// Shared set-up for the queue end-to-end tests: TaskQueues, bursts of TaskRuns, and a sampler that
// counts a queue's released, unfinished Jobs and its running pods throughout a test.
import { QUEUE_ANNOTATIONS } from "../../../src/operator/admission/queue-view.ts";
import type { TaskQueueSpec, TaskQueueStatus } from "../../../src/operator/api/taskqueue.ts";
import type { TaskRunSpec } from "../../../src/operator/api/taskrun.ts";
import type { KubeClient } from "../../../src/operator/kube/client.ts";
import type { Job, Pod } from "../../../src/operator/kube/objects.ts";
import { createTaskRun } from "../operator/helpers.ts";

const QUEUE_LABEL = "tasks.synthetiq.io/queue";
const taskQueues = (namespace: string) =>
  `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskqueues`;

export interface TaskQueueObject {
  metadata: { name: string; resourceVersion?: string };
  spec: TaskQueueSpec;
  status?: TaskQueueStatus;
}

export function createTaskQueue(client: KubeClient, namespace: string, name: string, spec: TaskQueueSpec) {
  return client.create<TaskQueueObject>(taskQueues(namespace), {
    apiVersion: "tasks.synthetiq.io/v1alpha1",
    kind: "TaskQueue",
    metadata: { name, namespace },
    spec,
  });
}

export function getTaskQueue(client: KubeClient, namespace: string, name: string) {
  return client.get<TaskQueueObject>(`${taskQueues(namespace)}/${name}`);
}

/** Creates `count` TaskRuns named `${prefix}-${i}`, a few at a time, in index order per batch. */
export async function submitBurst(
  client: KubeClient,
  namespace: string,
  prefix: string,
  count: number,
  spec: TaskRunSpec,
  parallel = 8,
) {
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, (_, i) => start + i);
    await Promise.all(batch.map((i) => createTaskRun(client, namespace, `${prefix}-${i}`, spec)));
  }
}

export function queueJobs(client: KubeClient, namespace: string, queue: string) {
  return client
    .list<{ items: Job[] }>(`/apis/batch/v1/namespaces/${namespace}/jobs`, {
      labelSelector: `${QUEUE_LABEL}=${queue}`,
    })
    .then((l) => l.items);
}

const finished = (job: Job) =>
  job.status?.conditions?.some(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  ) ?? false;

/** Milliseconds since the epoch at which admission released the Job (its annotation). */
export const admittedAt = (job: Job) =>
  Date.parse(job.metadata.annotations?.[QUEUE_ANNOTATIONS.admittedAt] ?? "");

export interface Sample {
  at: number;
  /** Released (not suspended), unfinished Jobs of the queue. */
  released: number;
  /** Pods of the queue in phase Running. */
  running: number;
  jobs: number;
  succeeded: number;
}

/** Lists the queue's Jobs and Pods every `everyMs` until stopped. */
export function sampleQueue(client: KubeClient, namespace: string, queue: string, everyMs = 250) {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const [jobs, pods] = await Promise.all([
        queueJobs(client, namespace, queue),
        client
          .list<{ items: Pod[] }>(`/api/v1/namespaces/${namespace}/pods`, {
            labelSelector: `${QUEUE_LABEL}=${queue}`,
          })
          .then((l) => l.items),
      ]);
      samples.push({
        at: Date.now(),
        released: jobs.filter((j) => j.spec?.suspend !== true && !finished(j)).length,
        running: pods.filter((p) => p.status?.phase === "Running").length,
        jobs: jobs.length,
        succeeded: jobs.filter((j) => j.status?.conditions?.some((c) => c.type === "Complete")).length,
      });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    samples,
    latest: () => samples.at(-1),
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}
