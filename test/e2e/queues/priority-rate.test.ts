// End to end on the local cluster: admission order and rate limits. A high-priority run submitted
// last starts before the low-priority ones waiting for the same queue; waiting runs show why and
// where they stand (condition, status.queuePosition, kubectl columns); a rate limit of 2/s admits
// no faster than 2 per second.
import { describe, expect, it } from "vitest";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import type { Job } from "../../../src/operator/kube/objects.ts";
import { kubectl, waitFor } from "../../harness/kube.ts";
import {
  condition,
  createTaskRun,
  getTaskRun,
  jobsOf,
  useOperator,
  waitForPhase,
} from "../operator/helpers.ts";
import { admittedAt, createTaskQueue, queueJobs, submitBurst } from "./helpers.ts";

const suite = useOperator("queues-order");

describe("admission order and rate", () => {
  it("a high-priority run submitted last starts before the waiting low-priority ones", async () => {
    const { client, namespace } = suite;
    await createTaskQueue(client, namespace, "prio", { concurrency: { min: 1, max: 1 } });
    // Holds the one slot while the others are created and show their places, also on a loaded machine.
    await createTaskRun(client, namespace, "blocker", {
      task: "testing.sleep",
      input: { seconds: 20 },
      queue: "prio",
    });
    await waitFor(
      "the blocker to be admitted",
      () => getTaskRun(client, namespace, "blocker"),
      (r) => r.status?.phase === "Running" && condition(r, "Admitted")?.status === "True",
      60_000,
    );
    await submitBurst(client, namespace, "low", 5, { task: "testing.noop", input: {}, queue: "prio" }, 1);
    await createTaskRun(client, namespace, "high", {
      task: "testing.noop",
      input: {},
      queue: "prio",
      priority: 100,
    });
    const high = await waitFor(
      "the high-priority run to show its place",
      () => getTaskRun(client, namespace, "high"),
      (r) => condition(r, "Admitted")?.reason === "QueueFull",
      30_000,
    );
    expect(high.status?.phase).toBe("Waiting");
    expect(high.status?.queuePosition).toBe(1);
    expect(condition(high, "Admitted")?.message).toBe("queue full: position 1 of 6 in queue prio");
    const lastLow = await waitFor(
      "the last low-priority run to show its place",
      () => getTaskRun(client, namespace, "low-4"),
      (r) => condition(r, "Admitted")?.reason === "QueueFull" && r.status?.queuePosition !== undefined,
      30_000,
    );
    expect(condition(lastLow, "Admitted")?.message).toMatch(
      /^queue full: position [56] of [56] in queue prio$/,
    );
    const wide = await kubectl(["get", "taskruns", "-n", namespace, "high", "-o", "wide"]);
    expect(wide.stdout).toMatch(/WAITING\s+POSITION/);
    expect(wide.stdout).toMatch(/QueueFull\s+1\s/);

    // Concurrency 1: each release waits for the previous run to finish, so follow two releases only.
    const released = (jobs: Job[], run: string) =>
      jobs.find((j) => j.metadata.name === `${run}-a1`)?.spec?.suspend === false;
    const lows = [0, 1, 2, 3, 4].map((i) => `low-${i}`);
    const afterHigh = await waitFor(
      "the high-priority run to be released",
      () => queueJobs(client, namespace, "prio"),
      (jobs) => released(jobs, "high"),
      240_000,
    );
    expect(lows.filter((low) => released(afterHigh, low))).toEqual([]);
    const afterNext = await waitFor(
      "the next release",
      () => queueJobs(client, namespace, "prio"),
      (jobs) => lows.some((low) => released(jobs, low)),
      240_000,
    );
    // Equal priority: creation order.
    expect(lows.filter((low) => released(afterNext, low))).toEqual(["low-0"]);
    const at = (jobs: Job[], run: string) =>
      admittedAt(jobs.find((j) => j.metadata.name === `${run}-a1`) as Job);
    expect(at(afterNext, "high")).toBeGreaterThan(at(afterNext, "blocker"));
    expect(at(afterNext, "low-0")).toBeGreaterThan(at(afterNext, "high"));
  }, 600_000);

  it("a rate limit of 2/s admits no faster, and runs held back say RateLimited", async () => {
    const { client, namespace } = suite;
    const burst = 1;
    const perSecond = 2;
    await createTaskQueue(client, namespace, "rated", {
      concurrency: { min: 1, max: 50 },
      rateLimit: { perSecond, burst },
    });
    const count = 12;
    await submitBurst(
      client,
      namespace,
      "rated",
      count,
      { task: "testing.noop", input: {}, queue: "rated" },
      12,
    );
    // The twelve are created at once, within the same second: which ones the bucket lets through
    // first follows the order the operator queued their Jobs in, so look for any one held back.
    const rated = await waitFor(
      "a run held back by the rate limit",
      () =>
        client.list<{ items: TaskRun[] }>(
          `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`,
        ),
      (list) => list.items.some((r) => condition(r, "Admitted")?.reason === "RateLimited"),
      30_000,
    );
    const held = rated.items.find((r) => condition(r, "Admitted")?.reason === "RateLimited") as TaskRun;
    expect(condition(held, "Admitted")).toMatchObject({ status: "False", reason: "RateLimited" });
    expect(condition(held, "Admitted")?.message).toMatch(
      /^rate limited: position \d+ of \d+ in queue rated$/,
    );

    const jobs = await waitFor(
      "all runs admitted",
      () => queueJobs(client, namespace, "rated"),
      (list) => list.length === count && list.every((j) => j.spec?.suspend === false),
      60_000,
    );
    const times = jobs.map(admittedAt).sort((a, b) => a - b);
    expect(times.every(Number.isFinite)).toBe(true);
    // Token bucket: any k consecutive admissions span at least (k - burst) / rate seconds.
    for (let i = 0; i < times.length; i++) {
      for (let j = i + 1; j < times.length; j++) {
        const admissions = j - i + 1;
        const span = ((times[j] as number) - (times[i] as number)) / 1000;
        expect(admissions, `admissions ${i}..${j} within ${span}s`).toBeLessThanOrEqual(
          burst + perSecond * span + 0.01,
        );
      }
    }
    const span = ((times.at(-1) as number) - (times[0] as number)) / 1000;
    console.log(JSON.stringify({ admissions: count, spanSeconds: span, rate: (count - 1) / span }));
    // And it does admit at about that rate, not much slower.
    expect(span).toBeLessThan((count - burst) / perSecond + 4);
  }, 180_000);

  it("a run still waiting in its queue at spec.expiresAt ends Expired, without a pod", async () => {
    const { client, namespace } = suite;
    await createTaskQueue(client, namespace, "expiring", { concurrency: { min: 1, max: 1 } });
    await createTaskRun(client, namespace, "occupant", {
      task: "testing.sleep",
      input: { seconds: 10 },
      queue: "expiring",
    });
    await waitFor(
      "the occupant to be admitted",
      () => getTaskRun(client, namespace, "occupant"),
      (r) => condition(r, "Admitted")?.status === "True",
      60_000,
    );
    const expiresAt = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000)
      .toISOString()
      .replace(".000", "");
    await createTaskRun(client, namespace, "impatient", {
      task: "testing.noop",
      input: {},
      queue: "expiring",
      expiresAt,
    });
    const run = await waitForPhase(
      client,
      namespace,
      "impatient",
      ["Expired", "Succeeded", "Failed"],
      30_000,
    );
    expect(run.status?.phase).toBe("Expired");
    expect(condition(run, "Succeeded")).toMatchObject({ status: "False", reason: "Expired" });
    expect(condition(run, "Succeeded")?.message).toContain("not admitted by queue expiring");
    expect(run.status?.attempts ?? []).toEqual([]);
    await waitFor(
      "its Job to be gone",
      () => jobsOf(client, namespace, "impatient"),
      (jobs) => jobs.length === 0,
      30_000,
    );
    const pods = await client.list<{ items: unknown[] }>(`/api/v1/namespaces/${namespace}/pods`, {
      labelSelector: "tasks.synthetiq.io/taskrun=impatient",
    });
    expect(pods.items).toEqual([]);
  }, 120_000);
});
