// End to end on the local cluster: queue admission by the operator. 200 TaskRuns into a queue of
// concurrency 5 never run more than 5 at once, also while the leader is killed and a standby
// replica takes over; a high-priority run submitted last starts before the waiting low-priority
// ones; a rate limit of 2/s admits no faster; waiting runs say why and where they stand.
import { describe, expect, inject, it } from "vitest";
import { waitFor } from "../../harness/kube.ts";
import { type RunningOperator, startOperator } from "../../harness/operator.ts";
import { condition, useOperator, waitForPhase } from "../operator/helpers.ts";
import { createTaskQueue, getTaskQueue, queueJobs, sampleQueue, submitBurst } from "./helpers.ts";

const suite = useOperator("queues");

describe("queue admission", () => {
  it("200 TaskRuns into a queue of concurrency 5 never run more than 5 at once, across a leader change", async () => {
    const { client, namespace } = suite;
    await createTaskQueue(client, namespace, "bulk", { concurrency: { min: 1, max: 5 } });
    let standby: RunningOperator | undefined;
    const sampler = sampleQueue(client, namespace, "bulk");
    try {
      standby = await startOperator({
        kubeconfigPath: inject("kubeconfigPath"),
        redisUrl: inject("redisUrl"),
        namespace,
        identity: "queues-standby",
        waitUntilLeading: false,
      });
      const started = Date.now();
      await submitBurst(client, namespace, "bulk", 200, { task: "testing.noop", input: {}, queue: "bulk" });
      // Kill the leader mid-burst: the standby must take over without a fresh set of slots.
      await waitFor(
        "a quarter of the burst done",
        async () => (sampler.latest()?.succeeded ?? 0) >= 50,
        300_000,
      );
      await suite.operator().kill();
      await waitFor("all 200 Jobs complete", async () => (sampler.latest()?.succeeded ?? 0) >= 200, 420_000);
      const seconds = (Date.now() - started) / 1000;
      const samples = await sampler.stop();
      const maxReleased = Math.max(...samples.map((s) => s.released));
      const maxRunning = Math.max(...samples.map((s) => s.running));
      console.log(
        JSON.stringify({ samples: samples.length, maxReleased, maxRunning, seconds: Math.round(seconds) }),
      );
      expect(samples.length).toBeGreaterThan(100);
      expect(maxReleased).toBeLessThanOrEqual(5);
      expect(maxRunning).toBeLessThanOrEqual(5);
      // The slots were used, not just respected.
      expect(maxReleased).toBe(5);
      const jobs = await queueJobs(client, namespace, "bulk");
      expect(jobs).toHaveLength(200);
      expect(jobs.every((j) => j.metadata.name?.endsWith("-a1"))).toBe(true);
      await waitFor(
        "the queue's status to settle",
        () => getTaskQueue(client, namespace, "bulk"),
        (q) => q.status?.pending === 0 && q.status?.running === 0 && q.status?.admitted === 0,
        30_000,
      );
      const queue = await getTaskQueue(client, namespace, "bulk");
      expect(queue.status?.concurrency).toBe(5);
      const last = await waitForPhase(client, namespace, "bulk-199", ["Succeeded", "Failed"], 60_000);
      expect(last.status?.phase).toBe("Succeeded");
      expect(condition(last, "Admitted")).toMatchObject({ status: "True" });
      // Series for the queue do not follow the number of runs: no run name in any label.
      const exposition = await (await fetch(standby.metricsUrl)).text();
      const queueSeries = exposition.split("\n").filter((l) => l.includes('queue="bulk"'));
      console.log(JSON.stringify({ queueSeries: queueSeries.length }));
      expect(queueSeries.length).toBeGreaterThan(5);
      expect(queueSeries.length).toBeLessThan(100);
      expect(exposition).not.toMatch(/bulk-\d/);
    } finally {
      await sampler.stop();
      await standby?.stop();
    }
  }, 600_000);
});
