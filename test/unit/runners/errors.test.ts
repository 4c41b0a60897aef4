import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  exitCodeOf,
  isFinal,
  ResultTooLargeError,
  serializeRecord,
} from "../../../src/runners/results/record.ts";
import {
  classifyError,
  formatPath,
  invalidInputError,
  TaskAbortedError,
} from "../../../src/runners/sdk/errors.ts";
import { PermanentError, RetryableError } from "../../../src/runners/sdk/task.ts";

describe("error classification", () => {
  it("typed errors decide; unknown errors are retryable", () => {
    expect(classifyError(new PermanentError("no such customer", { type: "UnknownCustomer" }))).toEqual({
      type: "UnknownCustomer",
      message: "no such customer",
      retryable: false,
    });
    expect(classifyError(new RetryableError("throttled"))).toMatchObject({
      type: "RetryableError",
      retryable: true,
    });
    expect(classifyError(new TypeError("x is undefined"))).toEqual({
      type: "TypeError",
      message: "x is undefined",
      retryable: true,
    });
    expect(classifyError("a string")).toEqual({ type: "Error", message: "a string", retryable: true });
  });

  it("an abort wins over what the task threw while winding down", () => {
    const reason = new TaskAbortedError("SoftTimeLimitExceeded", "exceeded its soft time limit of 5 s");
    expect(classifyError(new PermanentError("socket closed"), reason)).toEqual({
      type: "SoftTimeLimitExceeded",
      message: "exceeded its soft time limit of 5 s (the task ended with: socket closed)",
      retryable: true,
    });
    expect(classifyError(reason, reason).message).toBe("exceeded its soft time limit of 5 s");
  });

  it("input errors are permanent and name each field", () => {
    const schema = z.object({
      email: z.email(),
      order: z.object({ lines: z.array(z.object({ quantity: z.number().int() })) }),
    });
    const parsed = schema.safeParse({
      email: "nope",
      order: { lines: [{ quantity: 1 }, { quantity: 1.5 }] },
    });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const error = invalidInputError(parsed.error, "t.x");
    expect(classifyError(error)).toMatchObject({ type: "InvalidInput", retryable: false });
    expect(error.message).toMatch(/^invalid input for t\.x: email: .+; order\.lines\[1\]\.quantity: /);
    expect(formatPath([])).toBe("(input)");
  });
});

describe("result records", () => {
  it("map to the exit code contract", () => {
    expect(exitCodeOf({ status: "succeeded" })).toBe(0);
    expect(exitCodeOf({ status: "failed", error: { type: "E", message: "", retryable: true } })).toBe(1);
    expect(exitCodeOf({ status: "failed", error: { type: "E", message: "", retryable: false } })).toBe(2);
  });

  it("are final on success, a permanent failure, or the last attempt", () => {
    const retryable = { type: "E", message: "", retryable: true };
    expect(isFinal("running", undefined, 1)).toBe(false);
    expect(isFinal("succeeded", undefined, 1)).toBe(true);
    expect(isFinal("failed", { ...retryable, retryable: false }, 1, 5)).toBe(true);
    expect(isFinal("failed", retryable, 2, 3)).toBe(false);
    expect(isFinal("failed", retryable, 3, 3)).toBe(true);
    expect(isFinal("failed", retryable, 9)).toBe(false);
  });

  it("over the size limit are refused with a message pointing to artifact storage", () => {
    const record = {
      task: "reports.big",
      taskRun: { namespace: "n", name: "r" },
      attempt: 1,
      status: "succeeded" as const,
      final: true,
      startedAt: "",
      output: "x".repeat(2000),
    };
    expect(() => serializeRecord(record, 1000)).toThrow(ResultTooLargeError);
    expect(() => serializeRecord(record, 1000)).toThrow(
      /over the 1000-byte limit .*RESULT_MAX_BYTES.*artifacts\(\)/,
    );
    expect(JSON.parse(serializeRecord(record, 10_000))).toEqual(record);
  });
});
