// The TypeScript SDK on the local cluster with the real operator and runner: enqueue creates a
// TaskRun that runs as a Job and a runner pod whose result record lands in Redis; bad input is
// refused before any API call; an idempotency key never makes a second TaskRun; wait() is woken by
// the runner's Redis publish (no polling), ignores a retried attempt's failure, and reports a
// failure with the operator's phase; result() is the output or a TaskFailedError with the task's
// error type; cancel() stops a running task; wait() on a missing or deleted TaskRun rejects with
// TaskRunNotFoundError.
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { ResultsClient } from "../../../src/runners/results/index.ts";
import {
  createTaskClient,
  IdempotencyConflictError,
  type TaskClient,
  TaskFailedError,
  TaskInputError,
  TaskResultUnavailableError,
  TaskRunNotFoundError,
  TaskWaitTimeoutError,
} from "../../../src/sdk/index.ts";
import { TaskRunApi } from "../../../src/sdk/taskruns.ts";
import { kubeConfig, waitFor } from "../../harness/kube.ts";
import { jobsOf, useOperator, waitForPhase } from "../operator/helpers.ts";
import { tasksWithTesting } from "./fixtures.ts";

const suite = useOperator("e2e-sdk");
let tasks: TaskClient;
let redis: Redis;
const RUN_TIMEOUT = 120_000;

beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
  tasks = createTaskClient({
    kubeConfig: kubeConfig(),
    namespace: suite.namespace,
    redis,
    tasks: tasksWithTesting,
  });
});

afterAll(async () => {
  await tasks?.close();
  await redis?.quit();
});

describe("enqueue", () => {
  test("creates a TaskRun with the typed input and the options; the operator holds it until due", async () => {
    const handle = await tasks.enqueue(
      "email.send_welcome_email",
      { email: "ada@example.com", name: "Ada" },
      {
        queue: "emails",
        priority: 5,
        countdown: 600,
        retry: { maxAttempts: 2 },
        timeouts: { softSeconds: 10, hardSeconds: 20 },
      },
    );
    const stored = await handle.status();
    expect(stored.metadata.namespace).toBe(suite.namespace);
    expect(stored.spec).toMatchObject({
      task: "email.send_welcome_email",
      input: { email: "ada@example.com", name: "Ada" },
      queue: "emails",
      priority: 5,
      retry: { maxAttempts: 2 },
      timeouts: { softSeconds: 10, hardSeconds: 20 },
    });
    const waiting = await waitForPhase(suite.client, suite.namespace, handle.name, ["Waiting"]);
    expect(waiting.status?.conditions?.find((c) => c.type === "Admitted")?.reason).toBe("NotYetDue");
    expect(await jobsOf(suite.client, suite.namespace, handle.name)).toEqual([]);
    expect(await handle.ready()).toBe(false);
  });

  test("a bad input is refused before any TaskRun is made, naming every field", async () => {
    const before = (await new TaskRunApi(kubeConfig()).list(suite.namespace)).length;
    const error = await tasks
      .sendTask("email.send_welcome_email", { email: "nope" }, { priority: 9999 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TaskInputError);
    expect((error as TaskInputError).problems.map((p) => p.field).sort()).toEqual([
      "input.email",
      "input.name",
      "options.priority",
    ]);
    expect((await new TaskRunApi(kubeConfig()).list(suite.namespace)).length).toBe(before);
  });

  test("the same idempotency key gives the same TaskRun; another input with it is a conflict", async () => {
    const key = `order-${Date.now()}`;
    const first = await tasks.sendTask("testing.noop", {}, { idempotencyKey: key });
    const again = await tasks.sendTask("testing.noop", {}, { idempotencyKey: key });
    expect(again.name).toBe(first.name);
    const conflict = await tasks
      .sendTask("testing.noop", { unexpected: 1 }, { idempotencyKey: key })
      .catch((e) => e);
    expect(conflict).toBeInstanceOf(IdempotencyConflictError);
    const all = await new TaskRunApi(kubeConfig()).list(suite.namespace);
    expect(all.filter((t) => t.spec.idempotencyKey === key)).toHaveLength(1);
    // Run once, and only once: one Job for the key.
    expect(await first.result({ timeout: RUN_TIMEOUT })).toEqual({ ok: true });
    expect(await jobsOf(suite.client, suite.namespace, first.name)).toHaveLength(1);
  });
});

describe("the handle, with the task run by the operator", () => {
  test("wait() is woken by the runner's Redis publish and result() returns the runner's output", async () => {
    const handle = await tasks.sendTask("testing.noop", {});
    const outcome = await handle.wait({ timeout: RUN_TIMEOUT });
    const woken = Date.now();
    // The publish won the race: the TaskRun watch (the other source) reports with the TaskRun.
    expect(outcome.taskRun).toBeUndefined();
    expect(outcome.phase).toBe("Succeeded");
    expect(outcome.record).toMatchObject({
      status: "succeeded",
      final: true,
      attempt: 1,
      output: { ok: true },
    });
    const lagMs = woken - Date.parse(outcome.record?.finishedAt ?? "");
    console.log(`[sdk e2e] woken ${lagMs} ms after the runner finished`);
    // Loose: that the publish, not the watch, woke it is asserted above; this only catches a stall.
    expect(lagMs).toBeLessThan(5_000);
    expect(await handle.result({ timeout: 5_000 })).toEqual({ ok: true });
    expect(await handle.ready()).toBe(true);
    expect(await handle.successful()).toBe(true);
    // It ran as a Job and a pod of the operator's, and the operator ends it Succeeded.
    const [job] = await jobsOf(suite.client, suite.namespace, handle.name);
    expect(job?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "TaskRun", name: handle.name });
    await waitForPhase(suite.client, suite.namespace, handle.name, ["Succeeded"]);
  });

  test("a run that finished before wait() is found (subscribe, then read)", async () => {
    const handle = await tasks.sendTask("testing.noop", {});
    await waitForPhase(suite.client, suite.namespace, handle.name, ["Succeeded"]);
    const later = tasks.handle(handle.name);
    const started = Date.now();
    expect(await later.result({ timeout: 5_000 })).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    // A finished run is reported finished whatever the timeout, and is not cancelled any more.
    expect((await later.wait({ timeout: 0 })).phase).toBe("Succeeded");
    expect(await later.cancel()).toBe(false);
    expect((await later.status()).spec.cancel).toBeUndefined();
    // Without Redis the run is seen to succeed, and result() says why it has no output.
    const noRedis = createTaskClient({
      kubeConfig: kubeConfig(),
      namespace: suite.namespace,
      tasks: tasksWithTesting,
    });
    try {
      const error = await noRedis
        .handle(handle.name)
        .result({ timeout: 5_000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskResultUnavailableError);
      expect(error).toMatchObject({
        reason: "NoRedis",
        taskRun: { namespace: suite.namespace, name: handle.name },
      });
    } finally {
      await noRedis.close();
    }
  });

  test("wait() on a name that does not exist rejects with TaskRunNotFoundError at once", async () => {
    const started = Date.now();
    const error = await tasks
      .handle("no-such-run")
      .wait()
      .catch((e) => e);
    expect(error).toBeInstanceOf(TaskRunNotFoundError);
    // At once, not after a timeout (there is none: it would wait forever).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("wait() on a TaskRun deleted while waited for rejects with TaskRunNotFoundError", async () => {
    const handle = await tasks.sendTask("testing.noop", {}, { countdown: 600 });
    await waitForPhase(suite.client, suite.namespace, handle.name, ["Waiting"]);
    const waiting = handle.wait().catch((e) => e);
    await sleep(1_000); // the wait's GET is done and its watch open: the deletion ends the watch
    await suite.client.delete(
      `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${suite.namespace}/taskruns/${handle.name}`,
    );
    expect(await waiting).toBeInstanceOf(TaskRunNotFoundError);
  });

  test("a retryable failure is retried by the operator; wait() ends only with the attempt that succeeds", async () => {
    const handle = await tasks.sendTask(
      "testing.flaky",
      { succeedOnAttempt: 2 },
      { retry: { maxAttempts: 3, backoff: { initialSeconds: 1, jitter: 0 } } },
    );
    expect(await handle.result({ timeout: RUN_TIMEOUT })).toEqual({ attempt: 2 });
    const run = await waitForPhase(suite.client, suite.namespace, handle.name, ["Succeeded"]);
    expect(run.status?.attempts).toHaveLength(2);
  });

  test("a failed run's result() throws TaskFailedError with the task's error type, the phase already Failed", async () => {
    const handle = await tasks.sendTask("testing.exit", { code: 2 });
    const error = await handle.result({ timeout: RUN_TIMEOUT }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({
      phase: "Failed",
      type: "PermanentError",
      detail: "testing.exit asked for a permanent failure",
    });
    // The failure was reported on the TaskRun's phase, so what kubectl shows agrees at once.
    expect((await handle.status()).status?.phase).toBe("Failed");
    expect(await handle.ready()).toBe(true);
    expect(await handle.successful()).toBe(false);
  });

  test("cancel() stops a running task: result() throws with phase Cancelled and the runner is stopped", async () => {
    const handle = await tasks.sendTask("testing.sleep", { seconds: 300 });
    // Running in the runner: its attempt's "running" record is in Redis (the phase Running only
    // says that the attempt's Job exists).
    const results = new ResultsClient(redis);
    await waitFor(
      `the runner of ${handle.name} to start the task`,
      () => results.read(handle.ref),
      (record) => record?.status === "running",
      RUN_TIMEOUT,
    );
    const started = Date.now();
    await handle.cancel();
    expect((await handle.status()).spec.cancel).toBe(true);
    const error = await handle.result({ timeout: RUN_TIMEOUT }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({
      phase: "Cancelled",
      type: "Cancelled",
      detail: "cancelled during attempt 1",
    });
    expect((await handle.status()).status?.phase).toBe("Cancelled");
    // The attempt's Job is deleted and its runner, stopped by SIGTERM, records the abort: the 300 s
    // sleep did not run on.
    const aborted = await waitFor(
      `the runner of ${handle.name} to record its abort`,
      () => results.read(handle.ref),
      (record) => record?.error?.type === "Aborted",
      60_000,
    );
    expect(aborted?.status).toBe("failed");
    await waitFor(
      `the Job of ${handle.name} to be deleted`,
      () => jobsOf(suite.client, suite.namespace, handle.name),
      (jobs) => jobs.length === 0,
      60_000,
    );
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  test("wait() gives up with TaskWaitTimeoutError after its timeout", async () => {
    const handle = await tasks.sendTask("testing.sleep", { seconds: 30 });
    const started = Date.now();
    const error = await handle.wait({ timeout: 800 }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect(Date.now() - started).toBeLessThan(3_000);
    await handle.cancel();
  });
});
