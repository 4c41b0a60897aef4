// The pure parts of a submission: input problems named by field, options → TaskRun spec, the
// idempotency key's deterministic name, and the same-request comparison.
import { describe, expect, test } from "vitest";
import { z } from "zod";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import {
  buildTaskRun,
  canonicalJson,
  idempotentTaskRunName,
  inputProblems,
  isSameRequest,
} from "../../../src/sdk/submission.ts";

const now = new Date("2026-03-01T12:00:00.000Z");
const schema = z.object({ email: z.email(), name: z.string().min(1), count: z.int().optional() });

describe("input problems", () => {
  test("every bad field is named with its path under input", () => {
    const problems = inputProblems(schema, { email: "not-an-email", count: 1.5 });
    expect(problems.map((p) => p.field).sort()).toEqual(["input.count", "input.email", "input.name"]);
  });

  test("a valid input has no problems", () => {
    expect(inputProblems(schema, { email: "ada@example.com", name: "Ada" })).toEqual([]);
  });
});

describe("building the TaskRun", () => {
  test("options map to the spec; countdown becomes runAt from now", () => {
    const built = buildTaskRun(
      "email.send_welcome_email",
      { email: "ada@example.com", name: "Ada" },
      { namespace: "apps", queue: "emails", priority: 10, countdown: 90, retry: { maxAttempts: 2 } },
      now,
    );
    if (!built.ok) throw new Error(JSON.stringify(built.problems));
    expect(built.taskRun.metadata).toMatchObject({
      namespace: "apps",
      generateName: "email-send-welcome-email-",
    });
    expect(built.taskRun.spec).toMatchObject({
      task: "email.send_welcome_email",
      queue: "emails",
      priority: 10,
      runAt: "2026-03-01T12:01:30.000Z",
      retry: { maxAttempts: 2 },
    });
  });

  test("every bad option is reported at once, named as an option", () => {
    const built = buildTaskRun(
      "email.send_welcome_email",
      {},
      {
        namespace: "apps",
        priority: 5000,
        queue: "Not A Queue",
        countdown: 5,
        runAt: "2026-03-02T00:00:00Z",
      },
      now,
    );
    expect(built.ok).toBe(false);
    const fields = built.ok ? [] : built.problems.map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining(["options.priority", "options.queue", "options.countdown"]),
    );
  });

  test("expiresAt before the run time is refused", () => {
    const built = buildTaskRun(
      "email.send_welcome_email",
      {},
      {
        namespace: "apps",
        runAt: new Date("2026-03-02T00:00:00Z"),
        expiresAt: new Date("2026-03-01T00:00:00Z"),
      },
      now,
    );
    expect(built.ok ? [] : built.problems).toContainEqual({
      field: "options.expiresAt",
      message: "spec.expiresAt must be after spec.runAt",
    });
  });

  test("the CRD's cross-field rules are checked before any API call: soft timeout under the hard one", () => {
    const built = buildTaskRun(
      "email.send_welcome_email",
      {},
      { namespace: "apps", timeouts: { softSeconds: 900, hardSeconds: 600 } },
      now,
    );
    expect(built.ok ? [] : built.problems).toContainEqual({
      field: "options.timeouts.softSeconds",
      message: "timeouts.softSeconds must be less than timeouts.hardSeconds",
    });
  });

  test("an idempotency key gives a fixed name and is kept in the spec", () => {
    const built = buildTaskRun(
      "email.send_welcome_email",
      {},
      { namespace: "apps", idempotencyKey: "user-42" },
      now,
    );
    if (!built.ok) throw new Error("unexpected problems");
    expect(built.taskRun.metadata.name).toBe(idempotentTaskRunName("email.send_welcome_email", "user-42"));
    expect(built.taskRun.spec.idempotencyKey).toBe("user-42");
  });
});

describe("idempotency", () => {
  test("the same key gives the same DNS-1123 name; another key or task another one", () => {
    const a = idempotentTaskRunName("email.send_welcome_email", "signup:42");
    expect(idempotentTaskRunName("email.send_welcome_email", "signup:42")).toBe(a);
    expect(idempotentTaskRunName("email.send_welcome_email", "signup:43")).not.toBe(a);
    expect(idempotentTaskRunName("email.send_license_email", "signup:42")).not.toBe(a);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(a.length).toBeLessThanOrEqual(63);
  });

  test("the same input in another key order is the same request; another value is not", () => {
    const stored: TaskRun = {
      apiVersion: "tasks.synthetiq.io/v1alpha1",
      kind: "TaskRun",
      metadata: { name: "x", namespace: "apps" },
      spec: { task: "email.send_welcome_email", input: { name: "Ada", email: "ada@example.com" } },
    };
    expect(isSameRequest(stored, "email.send_welcome_email", { email: "ada@example.com", name: "Ada" })).toBe(
      true,
    );
    expect(isSameRequest(stored, "email.send_welcome_email", { email: "bob@example.com", name: "Ada" })).toBe(
      false,
    );
    expect(isSameRequest(stored, "email.send_license_email", { email: "ada@example.com", name: "Ada" })).toBe(
      false,
    );
    expect(canonicalJson({ b: { d: 1, c: [2, { f: 1, e: 0 }] }, a: 1 })).toBe(
      '{"a":1,"b":{"c":[2,{"e":0,"f":1}],"d":1}}',
    );
  });
});
