// Aborts in the attempt logic (in-process, real Redis): a task that ignores its signal is cut
// off after the grace period; one that finishes its work within the grace period succeeds.
import { randomUUID } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { TaskAbortedError } from "../../../src/runners/sdk/errors.ts";
import { runAttemptInProcess } from "../../../src/runners/sdk/in-process.ts";
import { defineTask } from "../../../src/runners/sdk/task.ts";

const stubborn = defineTask({
  name: "test.stubborn",
  queue: "emails",
  description: "test task",
  input: z.object({ finishAfterAbortMs: z.number().optional() }),
  async run(input, ctx) {
    await new Promise<void>((resolve) => {
      if (input.finishAfterAbortMs === undefined) return; // never finishes
      ctx.signal.addEventListener("abort", () => setTimeout(resolve, input.finishAfterAbortMs));
    });
    return { wrappedUp: true, abortedBy: (ctx.signal.reason as TaskAbortedError).type };
  },
});

const options = () => ({
  redisUrl: inject("redisUrl"),
  taskRun: { namespace: "abort", name: `run-${randomUUID().slice(0, 8)}`, uid: randomUUID() },
});

describe("aborting an attempt", () => {
  it("records the abort after the grace period when the task ignores its signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new TaskAbortedError("Aborted", "the runner received SIGTERM")), 100);
    const started = Date.now();
    const { record, exitCode } = await runAttemptInProcess(
      stubborn,
      {},
      {
        ...options(),
        signal: controller.signal,
        abortGraceSeconds: 0.3,
      },
    );
    expect(exitCode).toBe(1);
    expect(record.error).toEqual({
      type: "Aborted",
      message: "the runner received SIGTERM",
      retryable: true,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it("lets a task that wraps up within the grace period succeed", async () => {
    const { record, exitCode } = await runAttemptInProcess(
      stubborn,
      { finishAfterAbortMs: 50 },
      {
        ...options(),
        softTimeoutSeconds: 0.1,
        abortGraceSeconds: 2,
      },
    );
    expect(exitCode).toBe(0);
    expect(record.output).toEqual({ wrappedUp: true, abortedBy: "SoftTimeLimitExceeded" });
  });
});
