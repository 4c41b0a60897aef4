// Tiny tasks for end-to-end tests of the operator (sleep, exit with a code, fail until an attempt).
// Registered only when RUNNER_ENABLE_TEST_TASKS=1, so production registries never contain them.
import { z } from "zod";
import { defineTask, PermanentError, RetryableError, type TaskDefinition } from "../sdk/task.ts";

const noop = defineTask({
  name: "testing.noop",
  queue: "testing",
  description: "Does nothing and succeeds.",
  input: z.object({}).default({}),
  async run() {
    return { ok: true };
  },
});

const sleep = defineTask({
  name: "testing.sleep",
  queue: "testing",
  description: "Sleeps; stops early when aborted unless ignoreAbort is set (to reach the hard timeout).",
  input: z.object({ seconds: z.number().min(0).max(3600), ignoreAbort: z.boolean().default(false) }),
  async run({ seconds, ignoreAbort }, ctx) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, seconds * 1000);
      if (ignoreAbort) return;
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
    return { slept: seconds };
  },
});

const exit = defineTask({
  name: "testing.exit",
  queue: "testing",
  description: "Ends with the given runner exit code: 0 success, 1 retryable, 2 permanent.",
  input: z.object({ code: z.union([z.literal(0), z.literal(1), z.literal(2)]) }),
  async run({ code }) {
    if (code === 1) throw new RetryableError("testing.exit asked for a retryable failure");
    if (code === 2) throw new PermanentError("testing.exit asked for a permanent failure");
    return { code };
  },
});

const flaky = defineTask({
  name: "testing.flaky",
  queue: "testing",
  description: "Fails (retryable) on every attempt before succeedOnAttempt, then succeeds.",
  input: z.object({ succeedOnAttempt: z.int().min(1).max(100) }),
  async run({ succeedOnAttempt }, ctx) {
    if (ctx.attempt < succeedOnAttempt) {
      throw new RetryableError(`attempt ${ctx.attempt} fails on purpose (succeeds on ${succeedOnAttempt})`);
    }
    return { attempt: ctx.attempt };
  },
});

export const testingTasks: readonly TaskDefinition[] = [noop, sleep, exit, flaky] as TaskDefinition[];
