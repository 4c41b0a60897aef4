// End to end on the local cluster: a TaskQueue's spec.defaults reach its runs' Jobs (env as
// ConfigMap/Secret references, timeouts, retry) under the run's own fields, and the run completes.
import { describe, expect, it } from "vitest";
import { condition, createTaskRun, jobsOf, useOperator, waitForPhase } from "../operator/helpers.ts";
import { createTaskQueue } from "./helpers.ts";

const suite = useOperator("queues-defaults");

describe("TaskQueue defaults", () => {
  it("env references, timeouts and retry from the queue reach the Job; the run's own timeouts win", async () => {
    const { client, namespace } = suite;
    await client.create(`/api/v1/namespaces/${namespace}/configmaps`, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "queue-settings", namespace },
      data: { greeting: "hello" },
    });
    await createTaskQueue(client, namespace, "defaulted", {
      concurrency: { min: 1, max: 2 },
      defaults: {
        env: [
          {
            name: "QUEUE_GREETING",
            valueFrom: { configMapKeyRef: { name: "queue-settings", key: "greeting" } },
          },
        ],
        timeouts: { hardSeconds: 120 },
        retry: { maxAttempts: 4 },
      },
    });
    await createTaskRun(client, namespace, "plain", { task: "testing.noop", input: {}, queue: "defaulted" });
    await createTaskRun(client, namespace, "own-timeout", {
      task: "testing.noop",
      input: {},
      queue: "defaulted",
      timeouts: { hardSeconds: 45 },
    });
    for (const name of ["plain", "own-timeout"]) {
      const run = await waitForPhase(client, namespace, name, ["Succeeded", "Failed"]);
      expect(run.status?.phase).toBe("Succeeded");
      expect(condition(run, "Admitted")).toMatchObject({ status: "True" });
    }
    const [plain] = await jobsOf(client, namespace, "plain");
    const [own] = await jobsOf(client, namespace, "own-timeout");
    type Container = { env: Array<{ name: string; value?: string; valueFrom?: unknown }> };
    const container = (job: typeof plain) =>
      (job?.spec?.template as { spec: { containers: Container[] } } | undefined)?.spec.containers[0];
    expect(container(plain)?.env.find((e) => e.name === "QUEUE_GREETING")).toEqual({
      name: "QUEUE_GREETING",
      valueFrom: { configMapKeyRef: { name: "queue-settings", key: "greeting" } },
    });
    const taskRunEnv = container(plain)?.env.find((e) => e.name === "TASK_RUN")?.value ?? "{}";
    expect(JSON.parse(taskRunEnv)).toMatchObject({ maxAttempts: 4 });
    expect(plain?.spec?.activeDeadlineSeconds).toBe(120);
    expect(own?.spec?.activeDeadlineSeconds).toBe(45);
  }, 180_000);

  it("the queue's priorityClassName is its runs' pods' priority class, and the pods run with it", async () => {
    const { client, namespace } = suite;
    const priorityClass = `${namespace}-low`;
    await client.create("/apis/scheduling.k8s.io/v1/priorityclasses", {
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: { name: priorityClass },
      value: 10,
      description: "e2e: a TaskQueue's priority class",
    });
    try {
      await createTaskQueue(client, namespace, "low", {
        priorityClassName: priorityClass,
        concurrency: { min: 1, max: 2 },
      });
      await createTaskRun(client, namespace, "low-run", { task: "testing.noop", input: {}, queue: "low" });
      const run = await waitForPhase(client, namespace, "low-run", ["Succeeded", "Failed"]);
      expect(run.status?.phase).toBe("Succeeded");
      const [job] = await jobsOf(client, namespace, "low-run");
      const podSpec = (job?.spec?.template as { spec: { priorityClassName?: string } } | undefined)?.spec;
      expect(podSpec?.priorityClassName).toBe(priorityClass);
      const pods = await client.list<{
        items: Array<{ spec: { priority?: number; priorityClassName?: string } }>;
      }>(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: "tasks.synthetiq.io/taskrun=low-run" });
      expect(pods.items[0]?.spec).toMatchObject({ priorityClassName: priorityClass, priority: 10 });
    } finally {
      await client.delete(`/apis/scheduling.k8s.io/v1/priorityclasses/${priorityClass}`);
    }
  }, 180_000);
});
