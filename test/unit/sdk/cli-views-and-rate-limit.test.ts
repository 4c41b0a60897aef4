// Pure decisions of the CLI (list filters, retry of a finished run) and of the HTTP API's
// per-client token buckets.
import { describe, expect, test } from "vitest";
import { matches, RETRY_OF_ANNOTATION, retryOf, table } from "../../../src/cli/views.ts";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import { TokenBuckets } from "../../../src/operator/http-api/rate-limit.ts";

const now = new Date("2026-03-01T12:00:00Z");
const run = (phase: string | undefined, spec: Partial<TaskRun["spec"]> = {}): TaskRun => ({
  apiVersion: "tasks.synthetiq.io/v1alpha1",
  kind: "TaskRun",
  metadata: { name: "welcome-1", namespace: "apps" },
  spec: { task: "email.send_welcome_email", input: { email: "a@b.c", name: "A" }, ...spec },
  ...(phase ? { status: { phase: phase as never } } : {}),
});

describe("list filters", () => {
  test("active is running or waiting work that is due; scheduled is a schedule or a future runAt; failed is Failed or Expired", () => {
    expect(matches(run(undefined), "active", now)).toBe(true);
    expect(matches(run("Running"), "active", now)).toBe(true);
    expect(matches(run("Waiting", { runAt: "2026-03-01T13:00:00Z" }), "active", now)).toBe(false);
    expect(matches(run("Waiting", { runAt: "2026-03-01T13:00:00Z" }), "scheduled", now)).toBe(true);
    expect(matches(run("Scheduled"), "scheduled", now)).toBe(true);
    expect(matches(run("Succeeded"), "active", now)).toBe(false);
    expect(matches(run("Expired"), "failed", now)).toBe(true);
    expect(matches(run("Cancelled"), "failed", now)).toBe(false);
  });

  test("tables align columns", () => {
    expect(table(["A", "BB"], [["xxx", "y"]])).toBe("A     BB\nxxx   y");
  });
});

describe("retry", () => {
  test("a failed run gives a new run with the same task, input and idempotency key, without cancel or runAt", () => {
    const retried = retryOf(
      run("Failed", { cancel: true, runAt: "2026-03-01T13:00:00Z", idempotencyKey: "k", priority: 3 }),
    );
    if (!retried.ok) throw new Error(retried.message);
    expect(retried.taskRun.spec).toEqual({
      task: "email.send_welcome_email",
      input: { email: "a@b.c", name: "A" },
      priority: 3,
      idempotencyKey: "k",
    });
    expect(retried.taskRun.metadata.annotations?.[RETRY_OF_ANNOTATION]).toBe("welcome-1");
  });

  test("a run without its own idempotency key passes on its uid, the key its runner used", () => {
    const failed = run("Failed");
    failed.metadata.uid = "2f1c0b9e-0000-4000-8000-000000000001";
    const retried = retryOf(failed);
    if (!retried.ok) throw new Error(retried.message);
    expect(retried.taskRun.spec.idempotencyKey).toBe("2f1c0b9e-0000-4000-8000-000000000001");
  });

  test("a run still going or succeeded is not retried", () => {
    expect(retryOf(run("Running")).ok).toBe(false);
    expect(retryOf(run("Succeeded")).ok).toBe(false);
  });
});

describe("token buckets", () => {
  test("a burst is allowed, then one request per 1/rate seconds; clients are independent", () => {
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 });
    const t = 1_000_000;
    expect([1, 2, 3, 4].map(() => buckets.take("a", t).allowed)).toEqual([true, true, true, false]);
    expect(buckets.take("a", t)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(buckets.take("b", t).allowed).toBe(true);
    expect(buckets.take("a", t + 500).allowed).toBe(true);
    expect(buckets.take("a", t + 500).allowed).toBe(false);
  });
});
