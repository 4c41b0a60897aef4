import { describe, expect, it } from "vitest";
import { admissionStatus } from "../../../src/operator/admission/waiting.ts";
import type { TaskRunStatus } from "../../../src/operator/api/taskrun.ts";

const now = new Date("2026-01-01T00:00:10Z");
const running: TaskRunStatus = {
  phase: "Running",
  conditions: [
    {
      type: "Admitted",
      status: "True",
      reason: "Admitted",
      message: "attempt 1 admitted",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    },
  ],
};
const cond = (s: TaskRunStatus, type: string) => s.conditions?.find((c) => c.type === type);

describe("a TaskRun's status under admission", () => {
  it("a suspended attempt is Waiting with Admitted=False, the reason and 'position N of M', and queuePosition", () => {
    const s = admissionStatus(
      running,
      {
        queue: "emails",
        suspended: true,
        waiting: { name: "j", reason: "QueueFull", position: 3, total: 17 },
      },
      1,
      now,
    );
    expect(s.phase).toBe("Waiting");
    expect(s.queuePosition).toBe(3);
    expect(cond(s, "Admitted")).toMatchObject({
      status: "False",
      reason: "QueueFull",
      message: "queue full: position 3 of 17 in queue emails",
    });
    expect(cond(s, "Succeeded")).toMatchObject({ status: "Unknown", reason: "QueueFull" });
  });

  it("before the queue has looked at it, it waits as Queued without a position", () => {
    const s = admissionStatus({ ...running, queuePosition: 4 }, { queue: "models", suspended: true }, 1, now);
    expect(cond(s, "Admitted")).toMatchObject({ status: "False", reason: "Queued" });
    expect(s.queuePosition).toBeUndefined();
  });

  it("once released it is Admitted=True again and the position is gone", () => {
    const waiting = admissionStatus(
      running,
      {
        queue: "emails",
        suspended: true,
        waiting: { name: "j", reason: "RateLimited", position: 1, total: 1 },
      },
      1,
      now,
    );
    expect(cond(waiting, "Admitted")?.message).toBe("rate limited: position 1 of 1 in queue emails");
    const released = admissionStatus(
      { ...waiting, phase: "Running" },
      { queue: "emails", suspended: false },
      1,
      now,
    );
    expect(cond(released, "Admitted")).toMatchObject({ status: "True", reason: "Admitted" });
    expect(released.queuePosition).toBeUndefined();
    expect(released.phase).toBe("Running");
  });
});
