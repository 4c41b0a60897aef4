// End to end on the local cluster: one-off TaskRuns through the operator and the real runner —
// success, retries with backoff, permanent failure, bad input, unknown task, timeouts, runAt,
// expiresAt, cancel and TTL cleanup.
import { Redis } from "ioredis";
import { describe, expect, inject, it } from "vitest";
import { USER_AGENT } from "../../../src/operator/kube/client.ts";
import { kubectl, waitFor } from "../../harness/kube.ts";
import {
  condition,
  createTaskRun,
  getTaskRun,
  jobsOf,
  patchTaskRunSpec,
  taskRunExists,
  useOperator,
  waitForPhase,
} from "./helpers.ts";

const suite = useOperator("op-life");
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000", "");
const noBackoff = { initialSeconds: 0, factor: 1, maxSeconds: 0, jitter: 0 };

describe.concurrent("one-off TaskRuns", () => {
  it("a run succeeds, kubectl wait sees Succeeded, and the result is in Redis", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "ok", { task: "testing.noop", input: {} });
    const waited = await kubectl(
      ["wait", "-n", namespace, "--for=condition=Succeeded", "taskrun/ok", "--timeout=90s"],
      100_000,
    );
    expect(waited.stderr).toBe("");
    expect(waited.code).toBe(0);
    const run = await getTaskRun(client, namespace, "ok");
    expect(run.status).toMatchObject({
      phase: "Succeeded",
      attemptCount: 1,
      queue: "testing",
      observedGeneration: 1,
    });
    expect(run.status?.attempts?.[0]).toMatchObject({
      attempt: 1,
      job: "ok-a1",
      exitCode: 0,
      reason: "Succeeded",
    });
    expect(condition(run, "Succeeded")).toMatchObject({ status: "True", observedGeneration: 1 });
    // The task's queue has no TaskQueue here: the run starts at once, and says why nothing limited it.
    expect(condition(run, "Admitted")).toMatchObject({
      status: "True",
      reason: "NoTaskQueue",
      message: `attempt 1 admitted: no TaskQueue testing in namespace ${namespace}, so no queue limits or defaults apply`,
    });
    const redis = new Redis(inject("redisUrl"));
    try {
      const record = JSON.parse((await redis.get(run.status?.resultRef ?? "")) ?? "null");
      expect(record).toMatchObject({ status: "succeeded", attempt: 1, output: { ok: true } });
    } finally {
      redis.disconnect();
    }
    const jobs = await jobsOf(client, namespace, "ok");
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "TaskRun",
      name: "ok",
      controller: true,
    });
    // Every write says who made it: the status and the Job name the operator as their field manager.
    type ManagedFields = Array<{ manager?: string; subresource?: string }>;
    const managers = (o: { metadata: object }) =>
      ((o.metadata as { managedFields?: ManagedFields }).managedFields ?? []).map(
        (f) => `${f.manager}${f.subresource ? `/${f.subresource}` : ""}`,
      );
    expect(managers(run)).toContain(`${USER_AGENT}/status`);
    expect(managers(jobs[0]!)).toContain(USER_AGENT);
    const printed = await kubectl(["get", "taskruns", "-n", namespace, "ok"]);
    expect(printed.stdout).toMatch(/ok\s+testing\.noop\s+testing\s+Succeeded\s+1\s+/);
  });

  it("a retryable failure is retried after the backoff and then succeeds", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "flaky", {
      task: "testing.flaky",
      input: { succeedOnAttempt: 3 },
      retry: { maxAttempts: 4, backoff: { initialSeconds: 3, factor: 2, maxSeconds: 60, jitter: 0 } },
    });
    const run = await waitForPhase(client, namespace, "flaky", ["Succeeded", "Failed"], 120_000);
    expect(run.status?.phase).toBe("Succeeded");
    const attempts = run.status?.attempts ?? [];
    expect(attempts.map((a) => [a.attempt, a.reason, a.exitCode])).toEqual([
      [1, "Retryable", 1],
      [2, "Retryable", 1],
      [3, "Succeeded", 0],
    ]);
    // Backoff 3 s after attempt 1, 6 s after attempt 2 (seconds resolution on the timestamps).
    const gap = (i: number) =>
      Date.parse(attempts[i + 1]?.startTime ?? "") - Date.parse(attempts[i]?.completionTime ?? "");
    expect(gap(0)).toBeGreaterThanOrEqual(2_000);
    expect(gap(1)).toBeGreaterThanOrEqual(5_000);
    expect(await jobsOf(client, namespace, "flaky")).toHaveLength(3);
  });

  it("a permanent failure (exit 2) fails the run without a retry", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "perm", {
      task: "testing.exit",
      input: { code: 2 },
      retry: { maxAttempts: 5, backoff: noBackoff },
    });
    const run = await waitForPhase(client, namespace, "perm", ["Succeeded", "Failed"]);
    expect(run.status?.phase).toBe("Failed");
    expect(condition(run, "Succeeded")).toMatchObject({ status: "False", reason: "PermanentFailure" });
    expect(run.status?.attempts).toHaveLength(1);
    expect(run.status?.attempts?.[0]).toMatchObject({ reason: "Permanent" });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await jobsOf(client, namespace, "perm")).toHaveLength(1);
  });

  it("invalid input fails with InputValid=False naming every bad field, and no Job", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "bad-input", {
      task: "testing.sleep",
      input: { seconds: "soon", ignoreAbort: 3 },
    });
    const run = await waitForPhase(client, namespace, "bad-input", ["Failed"]);
    const inputValid = condition(run, "InputValid");
    expect(inputValid).toMatchObject({ status: "False", reason: "InvalidInput" });
    expect(inputValid?.message).toContain("input.seconds");
    expect(inputValid?.message).toContain("input.ignoreAbort");
    expect(await jobsOf(client, namespace, "bad-input")).toHaveLength(0);
  });

  it("an unknown task fails the same way", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "unknown", { task: "email.no_such_task", input: {} });
    const run = await waitForPhase(client, namespace, "unknown", ["Failed"]);
    expect(condition(run, "InputValid")).toMatchObject({ status: "False", reason: "UnknownTask" });
    expect(condition(run, "InputValid")?.message).toContain("testing.noop");
    expect(await jobsOf(client, namespace, "unknown")).toHaveLength(0);
  });

  it("a name over 63 characters, which its Jobs could not carry in a label, is refused by the API server", async () => {
    const { client, namespace } = suite;
    const long = `nightly-customer-export-for-enterprise-accounts-${"x".repeat(16)}`;
    await expect(createTaskRun(client, namespace, long, { task: "testing.noop", input: {} })).rejects.toThrow(
      /metadata\.name: Too long: may not be more than 63/,
    );
    await createTaskRun(client, namespace, long.slice(0, 63), { task: "testing.noop", input: {} });
    await waitForPhase(client, namespace, long.slice(0, 63), ["Succeeded"]);
  });

  it("the soft timeout aborts the task through its signal", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "soft", {
      task: "testing.sleep",
      input: { seconds: 60 },
      timeouts: { softSeconds: 2, hardSeconds: 30 },
      retry: { maxAttempts: 1 },
    });
    const run = await waitForPhase(client, namespace, "soft", ["Succeeded", "Failed"]);
    expect(run.status?.phase).toBe("Failed");
    expect(run.status?.attempts?.[0]?.reason).toBe("SoftTimeout");
    const took = Date.parse(run.status?.completionTime ?? "") - Date.parse(run.status?.startTime ?? "");
    expect(took).toBeLessThan(25_000);
    const redis = new Redis(inject("redisUrl"));
    try {
      const record = JSON.parse((await redis.get(run.status?.resultRef ?? "")) ?? "null");
      expect(record?.error?.type).toBe("SoftTimeLimitExceeded");
    } finally {
      redis.disconnect();
    }
  });

  it("the hard timeout kills a task that ignores its signal", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "hard", {
      task: "testing.sleep",
      input: { seconds: 120, ignoreAbort: true },
      timeouts: { hardSeconds: 4 },
      retry: { maxAttempts: 1 },
    });
    const run = await waitForPhase(client, namespace, "hard", ["Succeeded", "Failed"]);
    expect(condition(run, "Succeeded")).toMatchObject({ status: "False", reason: "HardTimeout" });
    expect(run.status?.attempts?.[0]?.reason).toBe("HardTimeout");
    const [job] = await jobsOf(client, namespace, "hard");
    expect(job?.spec?.activeDeadlineSeconds).toBe(4);
  });

  it("runAt: nothing starts before it", async () => {
    const { client, namespace } = suite;
    // Far enough ahead that a loaded machine still shows the Waiting phase before it.
    const runAt = new Date(Date.now() + 20_000);
    runAt.setMilliseconds(0);
    await createTaskRun(client, namespace, "later", {
      task: "testing.noop",
      input: {},
      runAt: runAt.toISOString().replace(".000", ""),
    });
    const waiting = await waitForPhase(client, namespace, "later", ["Waiting"]);
    expect(condition(waiting, "Succeeded")).toMatchObject({ status: "Unknown", reason: "NotYetDue" });
    expect(await jobsOf(client, namespace, "later")).toHaveLength(0);
    const run = await waitForPhase(client, namespace, "later", ["Succeeded"]);
    expect(Date.parse(run.status?.attempts?.[0]?.startTime ?? "")).toBeGreaterThanOrEqual(runAt.getTime());
  });

  it("expiresAt: a run not started by then ends Expired without a pod", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "expired", {
      task: "testing.noop",
      input: {},
      expiresAt: iso(Date.now() - 1_000),
    });
    const run = await waitForPhase(client, namespace, "expired", ["Expired", "Succeeded"]);
    expect(run.status?.phase).toBe("Expired");
    expect(condition(run, "Succeeded")).toMatchObject({ status: "False", reason: "Expired" });
    expect(await jobsOf(client, namespace, "expired")).toHaveLength(0);
  });

  it("expiresAt: a retry whose backoff ends after expiresAt never starts", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "expires-in-backoff", {
      task: "testing.exit",
      input: { code: 1 },
      // Room for attempt 1 to start on a loaded machine; its retry would come a minute after it.
      retry: { maxAttempts: 3, backoff: { initialSeconds: 60, factor: 1, maxSeconds: 60, jitter: 0 } },
      expiresAt: iso(Date.now() + 30_000),
    });
    const run = await waitForPhase(client, namespace, "expires-in-backoff", [
      "Expired",
      "Failed",
      "Succeeded",
    ]);
    expect(run.status?.phase).toBe("Expired");
    expect(run.status?.attempts).toHaveLength(1);
    expect(await jobsOf(client, namespace, "expires-in-backoff")).toHaveLength(1);
  });

  it("cancel stops the running pod and ends the run Cancelled", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "cancel-me", { task: "testing.sleep", input: { seconds: 120 } });
    await waitFor(
      "the sleep Job's pod to run",
      () => jobsOf(client, namespace, "cancel-me"),
      (jobs) => (jobs[0]?.status?.active ?? 0) > 0,
      60_000,
    );
    await patchTaskRunSpec(client, namespace, "cancel-me", { cancel: true });
    const run = await waitForPhase(client, namespace, "cancel-me", ["Cancelled"]);
    expect(run.status?.attempts?.[0]?.reason).toBe("Cancelled");
    await waitFor(
      "the cancelled Job to be gone",
      () => jobsOf(client, namespace, "cancel-me"),
      (jobs) => jobs.length === 0,
      60_000,
    );
  });

  it("ttlSecondsAfterFinished deletes a finished run", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "short-lived", {
      task: "testing.noop",
      input: {},
      ttlSecondsAfterFinished: 3,
    });
    const run = await waitForPhase(client, namespace, "short-lived", ["Succeeded"]);
    const finishedAt = Date.parse(run.status?.completionTime ?? "");
    await waitFor(
      "the TaskRun to be deleted",
      () => taskRunExists(client, namespace, "short-lived"),
      (e) => !e,
      60_000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(finishedAt + 3_000);
  });
});
