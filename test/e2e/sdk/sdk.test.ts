// The TypeScript SDK on the local cluster: enqueue creates a real TaskRun, bad input is refused
// before any API call, an idempotency key never makes a second TaskRun, wait() is woken by the
// runner's Redis publish and by a TaskRun watch (for runs that end without a result), result() is
// the output or a TaskFailedError with the task's error type, cancel() sets spec.cancel.
// No operator runs here: the test plays the runner (writes the result record) and the operator
// (writes status.phase through the status subresource) at the boundary the SDK reads.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import {
  createTaskClient,
  IdempotencyConflictError,
  type TaskClient,
  TaskFailedError,
  TaskInputError,
  TaskWaitTimeoutError,
} from "../../../src/sdk/index.ts";
import { TaskRunApi } from "../../../src/sdk/taskruns.ts";
import { kubeConfig, kubectl, useTestNamespace } from "../../harness/kube.ts";
import { ensureTaskRunCrd, tasksWithTesting, writeFinalResult } from "./fixtures.ts";

const ns = useTestNamespace("e2e-sdk");
let tasks: TaskClient;
let redis: Redis;

async function setPhase(name: string, phase: string, reason = phase, message = `${phase} by the test`) {
  const status = {
    phase,
    conditions: [
      {
        type: "Succeeded",
        status: "False",
        reason,
        message,
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    ],
  };
  const patched = await kubectl([
    "patch",
    "taskruns.tasks.synthetiq.io",
    name,
    "-n",
    ns.name,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status }),
  ]);
  if (patched.code !== 0) throw new Error(patched.stderr);
}

beforeAll(async () => {
  await ensureTaskRunCrd();
  redis = new Redis(inject("redisUrl"));
  tasks = createTaskClient({ kubeConfig: kubeConfig(), namespace: ns.name, redis, tasks: tasksWithTesting });
});

afterAll(async () => {
  await tasks?.close();
  await redis?.quit();
});

describe("enqueue", () => {
  test("creates a TaskRun with the typed input and the options", async () => {
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
    expect(stored.metadata.namespace).toBe(ns.name);
    expect(stored.spec).toMatchObject({
      task: "email.send_welcome_email",
      input: { email: "ada@example.com", name: "Ada" },
      queue: "emails",
      priority: 5,
      retry: { maxAttempts: 2 },
      timeouts: { softSeconds: 10, hardSeconds: 20 },
    });
    expect(await handle.ready()).toBe(false);
  });

  test("a bad input is refused before any TaskRun is made, naming every field", async () => {
    const before = (await new TaskRunApi(kubeConfig()).list(ns.name)).length;
    const error = await tasks
      .sendTask("email.send_welcome_email", { email: "nope" }, { priority: 9999 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(TaskInputError);
    expect((error as TaskInputError).problems.map((p) => p.field).sort()).toEqual([
      "input.email",
      "input.name",
      "options.priority",
    ]);
    expect((await new TaskRunApi(kubeConfig()).list(ns.name)).length).toBe(before);
  });

  test("the same idempotency key gives the same TaskRun; another input with it is a conflict", async () => {
    const key = `order-${Date.now()}`;
    const first = await tasks.sendTask("testing.sleep", { seconds: 1 }, { idempotencyKey: key });
    const again = await tasks.sendTask("testing.sleep", { seconds: 1 }, { idempotencyKey: key });
    expect(again.name).toBe(first.name);
    const conflict = await tasks
      .sendTask("testing.sleep", { seconds: 2 }, { idempotencyKey: key })
      .catch((e) => e);
    expect(conflict).toBeInstanceOf(IdempotencyConflictError);
    const all = await new TaskRunApi(kubeConfig()).list(ns.name);
    expect(all.filter((t) => t.spec.idempotencyKey === key)).toHaveLength(1);
  });
});

describe("the handle", () => {
  test("wait() is woken by the result's publish and result() returns the output", async () => {
    const handle = await tasks.sendTask("testing.noop", {});
    const waiting = handle.result({ timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await writeFinalResult(handle.ref, "testing.noop", { output: { ok: true } });
    expect(await waiting).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await handle.ready()).toBe(true);
    expect(await handle.successful()).toBe(true);
  });

  test("a result already written before wait() is found (subscribe, then read)", async () => {
    const handle = await tasks.sendTask("testing.noop", {});
    await writeFinalResult(handle.ref, "testing.noop", { output: { ok: 1 } });
    expect(await handle.result({ timeout: 5_000 })).toEqual({ ok: 1 });
  });

  test("a failed run's result() throws TaskFailedError with the task's error type and message", async () => {
    const handle = await tasks.sendTask("testing.exit", { code: 2 });
    await writeFinalResult(handle.ref, "testing.exit", {
      error: { type: "SmtpRejected", message: "550 mailbox unavailable" },
    });
    const error = await handle.result({ timeout: 5_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({ phase: "Failed", type: "SmtpRejected", detail: "550 mailbox unavailable" });
    expect(await handle.successful()).toBe(false);
  });

  test("cancel() sets spec.cancel; a run that ends Cancelled without a result wakes wait() through the watch", async () => {
    const handle = await tasks.sendTask("testing.sleep", { seconds: 60 });
    await handle.cancel();
    expect((await handle.status()).spec.cancel).toBe(true);
    const waiting = handle.result({ timeout: 20_000 }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 300));
    await setPhase(handle.name, "Cancelled", "Cancelled", "spec.cancel was set");
    const error = await waiting;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({ phase: "Cancelled", type: "Cancelled", detail: "spec.cancel was set" });
  });

  test("wait() gives up with TaskWaitTimeoutError after its timeout", async () => {
    const handle = await tasks.sendTask("testing.sleep", { seconds: 60 });
    const started = Date.now();
    const error = await handle.wait({ timeout: 800 }).catch((e) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeoutError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
