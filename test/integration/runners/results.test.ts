// Results in real Redis: the record layout and TTL, attempt history, the size cap, progress
// updates, and waiting for completion through the done channel.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import {
  attemptResultKey,
  latestResultKey,
  ResultsClient,
  ResultWaitTimeoutError,
} from "../../../src/runners/results/index.ts";
import { runAttemptInProcess } from "../../../src/runners/sdk/in-process.ts";
import { defineTask, RetryableError } from "../../../src/runners/sdk/task.ts";

let redis: Redis;
let results: ResultsClient;
beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
  results = new ResultsClient(redis);
});
afterAll(async () => {
  await results.close();
  await redis.quit();
});

const newRun = () => ({ namespace: "results", name: `run-${randomUUID().slice(0, 8)}`, uid: randomUUID() });

/** A task whose behaviour the input picks: the SDK's paths without any other server. */
const probe = defineTask({
  name: "test.probe",
  queue: "emails",
  description: "test task",
  input: z.object({
    outcome: z.enum(["ok", "retry", "big", "progress", "wait"]),
    bytes: z.number().int().default(0),
  }),
  async run(input, ctx) {
    if (input.outcome === "retry") throw new RetryableError("upstream throttled", { type: "Throttled" });
    if (input.outcome === "big") return { blob: "x".repeat(input.bytes) };
    if (input.outcome === "progress") {
      for (let i = 1; i <= 1000; i++) ctx.progress(i / 2000, `step ${i}`);
      await new Promise((r) => setTimeout(r, 20));
      const stored = await ctx.services.redis().get(latestResultKey(ctx.taskRun));
      return { ok: true, storedProgress: JSON.parse(stored ?? "{}").progress };
    }
    if (input.outcome === "wait") await new Promise((r) => setTimeout(r, 500));
    return { ok: true, idempotencyKey: ctx.idempotencyKey };
  },
});

describe("result records in Redis", () => {
  it("keeps the latest record and each attempt's record, with the TTL", async () => {
    const taskRun = newRun();
    const options = {
      redisUrl: inject("redisUrl"),
      taskRun,
      maxAttempts: 3,
      config: { results: { ttlSeconds: 120 } },
    };
    const first = await runAttemptInProcess(probe, { outcome: "retry" }, options);
    expect(first.exitCode).toBe(1);
    expect(first.record).toMatchObject({
      final: false,
      error: { type: "Throttled", message: "upstream throttled", retryable: true },
    });
    const second = await runAttemptInProcess(probe, { outcome: "ok" }, { ...options, attempt: 2 });
    expect(second.record).toMatchObject({
      attempt: 2,
      status: "succeeded",
      final: true,
      output: { ok: true, idempotencyKey: taskRun.uid },
    });

    expect(await results.read(taskRun)).toEqual(second.record);
    expect(await results.attempts(taskRun)).toEqual([first.record, second.record]);
    for (const key of [latestResultKey(taskRun), attemptResultKey(taskRun, 1)]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    }
    expect(latestResultKey(taskRun)).toBe(`synthetiq:result:results/${taskRun.name}`);
  });

  it("refuses an output over the size cap: the attempt fails permanently, pointing to artifact storage", async () => {
    const taskRun = newRun();
    const { record, exitCode } = await runAttemptInProcess(
      probe,
      { outcome: "big", bytes: 20_000 },
      { redisUrl: inject("redisUrl"), taskRun, config: { results: { maxBytes: 10_000 } } },
    );
    expect(exitCode).toBe(2);
    expect(record.output).toBeUndefined();
    expect(record.error?.type).toBe("ResultTooLarge");
    expect(record.error?.message).toMatch(
      /over the 10000-byte limit .*RESULT_MAX_BYTES.*ctx\.services\.artifacts\(\)/,
    );
    expect(await results.read(taskRun)).toEqual(record);
  });

  it("stores the latest progress in the record while the task runs", async () => {
    const taskRun = newRun();
    const { record } = await runAttemptInProcess(
      probe,
      { outcome: "progress" },
      { redisUrl: inject("redisUrl"), taskRun },
    );
    expect(record.progress).toMatchObject({ fraction: 0.5, message: "step 1000" });
    expect(record.output).toMatchObject({ storedProgress: { fraction: 0.5, message: "step 1000" } });
  });

  it("wakes a waiter when the TaskRun finishes (the done channel), and answers at once once finished", async () => {
    const taskRun = newRun();
    const waiting = results.waitForCompletion(taskRun, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    const { record } = await runAttemptInProcess(
      probe,
      { outcome: "wait" },
      { redisUrl: inject("redisUrl"), taskRun },
    );
    expect(await waiting).toEqual(record);
    // Already finished: resolves from the stored record.
    expect(await results.waitForCompletion(taskRun, { timeoutMs: 1_000 })).toEqual(record);
  });

  it("does not wake on a retryable failure unless asked to, and times out with a clear error", async () => {
    const taskRun = newRun();
    const final = results.waitForCompletion(taskRun, { timeoutMs: 1_500 });
    const any = results.waitForCompletion(taskRun, { timeoutMs: 5_000, anyAttempt: true });
    await new Promise((r) => setTimeout(r, 50));
    await runAttemptInProcess(
      probe,
      { outcome: "retry" },
      { redisUrl: inject("redisUrl"), taskRun, maxAttempts: 3 },
    );
    expect(await any).toMatchObject({ status: "failed", attempt: 1 });
    await expect(final).rejects.toThrow(ResultWaitTimeoutError);
    await expect(final).rejects.toThrow(`no final result for results/${taskRun.name} within 1500 ms`);
  });
});
