// End to end on the local cluster: a queue's metrics when TaskQueues of the same name live in two
// namespaces the operator watches. Each queue series is one per queue name, so what both hold adds
// up: runs waiting for a free slot and the concurrency allowed, and one deleted leaves the sums.
import { describe, expect, it } from "vitest";
import { useTestNamespace, waitFor } from "../../harness/kube.ts";
import { createTaskRun, useOperator, waitForPhase } from "../operator/helpers.ts";
import { createTaskQueue, submitBurst } from "./helpers.ts";

const second = useTestNamespace("q-metrics-b");
const suite = useOperator("q-metrics-a", { alsoWatch: [second.name] });

describe("queue metrics of an idle queue", () => {
  it("are 0, not missing, once its runs have finished", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "idle-1", { task: "testing.noop", input: {}, queue: "idle" });
    await waitForPhase(client, namespace, "idle-1", ["Succeeded"]);
    const series = (text: string, name: string) =>
      new RegExp(`^${name}\\{[^}]*queue="idle"[^}]*\\} 0$`, "m").test(text);
    await waitFor(
      "pending and running TaskRuns of the idle queue at 0",
      async () => (await fetch(suite.operator().metricsUrl)).text(),
      (text) =>
        series(text, "synthetiq_queue_pending_taskruns") && series(text, "synthetiq_queue_running_taskruns"),
      30_000,
    );
  });
});

describe("queue metrics across namespaces", () => {
  it("add up what the TaskQueues of one name hold in each namespace: waiting runs and concurrency", async () => {
    const { client } = suite;
    const operator = suite.operator();
    for (const namespace of [suite.namespace, second.name]) {
      await createTaskQueue(client, namespace, "shared", { concurrency: { min: 1, max: 1 } });
      await submitBurst(client, namespace, "slow", 3, {
        task: "testing.sleep",
        input: { seconds: 120 },
        queue: "shared",
      });
    }
    // One slot each: one run admitted per namespace, two waiting per namespace.
    const series = async () => ({
      queueFull: await operator.metric("synthetiq_queue_waiting_jobs", {
        queue: "shared",
        reason: "QueueFull",
      }),
      concurrency: await operator.metric("synthetiq_queue_concurrency", { queue: "shared" }),
    });
    const figures = await waitFor(
      "both namespaces' waiting runs in the queue's series",
      series,
      (f) => f.queueFull === 4 && f.concurrency === 2,
      90_000,
    );
    expect(figures).toEqual({ queueFull: 4, concurrency: 2 });

    // One of them deleted: the series are what the other holds, not stale sums.
    await client.delete(`/apis/tasks.synthetiq.io/v1alpha1/namespaces/${second.name}/taskqueues/shared`);
    const after = await waitFor(
      "the deleted TaskQueue's share to leave the series",
      series,
      (f) => f.queueFull === 2 && f.concurrency === 1,
      60_000,
    );
    expect(after).toEqual({ queueFull: 2, concurrency: 1 });
  });
});
