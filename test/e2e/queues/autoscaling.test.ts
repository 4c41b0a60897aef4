// End to end on the local cluster with a real Prometheus scraping the operator: a backlog raises a
// queue's concurrency from min towards max through the default query (backlog per slot), it comes
// back down after the scale-down window, and with Prometheus stopped the value holds and the
// queue says ScalingActive=False.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../harness/kube.ts";
import { type RunningPrometheus, startPrometheus } from "../../harness/prometheus.ts";
import { useOperator } from "../operator/helpers.ts";
import { createTaskQueue, getTaskQueue, submitBurst, type TaskQueueObject } from "./helpers.ts";

const suite = useOperator("queues-scale");
let prometheus: RunningPrometheus | undefined;

beforeAll(async () => {
  const target = new URL(suite.operator().metricsUrl).host;
  prometheus = await startPrometheus({
    jobs: [{ job: "operator", targets: [target] }],
    scrapeIntervalSeconds: 1,
  });
});
afterAll(async () => {
  await prometheus?.stop();
});

const DOWN_WINDOW_SECONDS = 8;
const scalingActive = (q: TaskQueueObject) => q.status?.conditions?.find((c) => c.type === "ScalingActive");

/** Polls the queue's status every 250 ms until stopped. */
function watchQueue(namespace: string, name: string) {
  const timeline: Array<{ at: number; concurrency?: number; pending?: number }> = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const q = await getTaskQueue(suite.client, namespace, name);
      timeline.push({ at: Date.now(), concurrency: q.status?.concurrency, pending: q.status?.pending });
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    timeline,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

describe("autoscaling from Prometheus", () => {
  it("a backlog scales up to max, it falls back after the window, and Prometheus stopped holds the value", async () => {
    const { client, namespace } = suite;
    const url = prometheus?.url ?? "";
    await createTaskQueue(client, namespace, "scaled", {
      concurrency: { min: 1, max: 5 },
      autoscaling: {
        prometheusUrl: url,
        metrics: [
          {
            query: 'sum(synthetiq_queue_pending_jobs{queue="scaled"})',
            targetType: "AverageValue",
            target: 2,
          },
        ],
        scaleDownStabilizationSeconds: DOWN_WINDOW_SECONDS,
        pollingSeconds: 1,
      },
    });
    await waitFor(
      "scaling active at min with the operator's series in Prometheus",
      () => getTaskQueue(client, namespace, "scaled"),
      (q) => scalingActive(q)?.status === "True" && q.status?.concurrency === 1,
      60_000,
    );
    const watch = watchQueue(namespace, "scaled");
    try {
      const spec = { task: "testing.sleep", input: { seconds: 2 }, queue: "scaled" };
      await submitBurst(client, namespace, "burst1", 30, spec, 10);
      const up = await waitFor(
        "concurrency to reach max",
        () => getTaskQueue(client, namespace, "scaled"),
        (q) => q.status?.concurrency === 5,
        90_000,
      );
      expect(up.status?.lastScale).toMatchObject({ to: 5 });
      expect(up.status?.lastScale?.reason).toMatch(/^ScaledUp: metric 0 AverageValue \d+ \/ target 2/);
      const reachedMaxAt = Date.now();
      const down = await waitFor(
        "concurrency back to min after the backlog",
        () => getTaskQueue(client, namespace, "scaled"),
        (q) => q.status?.concurrency === 1,
        120_000,
      );
      expect(down.status?.lastScale).toMatchObject({ to: 1 });
      expect(down.status?.lastScale?.reason).toMatch(/^ScaledDown: /);
      // The scale-down window held the max for the window after it was last recommended: the
      // backlog (2 per slot) asks for 5 slots while more than 8 wait, so the window runs from the
      // first sample at 8 or fewer, and the drop comes after it (Prometheus' scrape and the 1 s
      // polling only add to the lag: a bound above is loose).
      const firstDrop = watch.timeline.find((s) => s.at > reachedMaxAt && (s.concurrency ?? 5) < 5);
      expect(firstDrop).toBeDefined();
      const backlogFell = watch.timeline.find(
        (s) => s.at > reachedMaxAt && s.at <= (firstDrop?.at ?? 0) && (s.pending ?? 0) <= 8,
      );
      expect(backlogFell).toBeDefined();
      const heldSeconds = ((firstDrop?.at ?? 0) - (backlogFell?.at ?? 0)) / 1000;
      expect(heldSeconds).toBeGreaterThanOrEqual(DOWN_WINDOW_SECONDS - 2);
      expect(heldSeconds).toBeLessThan(DOWN_WINDOW_SECONDS + 30);
      expect(Math.min(...watch.timeline.map((s) => s.concurrency ?? 1))).toBeGreaterThanOrEqual(1);

      // Second burst; then Prometheus goes away while concurrency is high.
      await submitBurst(client, namespace, "burst2", 30, spec, 10);
      await waitFor(
        "concurrency to reach max again",
        () => getTaskQueue(client, namespace, "scaled"),
        (q) => q.status?.concurrency === 5,
        90_000,
      );
      await prometheus?.stop();
      prometheus = undefined;
      const held = await waitFor(
        "ScalingActive=False with the reason",
        () => getTaskQueue(client, namespace, "scaled"),
        (q) => scalingActive(q)?.status === "False",
        30_000,
      );
      expect(scalingActive(held)).toMatchObject({ reason: "PrometheusUnavailable" });
      expect(scalingActive(held)?.message).toContain("holding concurrency at 5");
      const stoppedAt = Date.now();
      // Longer than the scale-down window, and past the end of the backlog: the value holds.
      await new Promise((r) => setTimeout(r, (DOWN_WINDOW_SECONDS + 6) * 1000));
      const after = watch.timeline.filter((s) => s.at >= stoppedAt);
      expect(after.length).toBeGreaterThan(10);
      expect(after.every((s) => s.concurrency === 5)).toBe(true);
      const final = await getTaskQueue(client, namespace, "scaled");
      expect(final.status?.concurrency).toBe(5);
      expect(scalingActive(final)?.status).toBe("False");
    } finally {
      await watch.stop();
    }
  }, 400_000);
});
