import { describe, expect, it } from "vitest";
import {
  admissionStatus,
  applyAdmission,
  ungovernedStatus,
} from "../../../src/operator/admission/waiting.ts";
import type { TaskRunSpec, TaskRunStatus } from "../../../src/operator/api/taskrun.ts";
import type { RunDecision } from "../../../src/operator/status.ts";

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

describe("a run whose queue no TaskQueue governs", () => {
  it("is admitted with reason NoTaskQueue, naming the queue and the namespace", () => {
    const s = ungovernedStatus(running, "emials", "cdp", 1, now);
    expect(cond(s, "Admitted")).toEqual({
      type: "Admitted",
      status: "True",
      reason: "NoTaskQueue",
      message:
        "attempt 1 admitted: no TaskQueue emials in namespace cdp, so no queue limits or defaults apply",
      observedGeneration: 1,
      lastTransitionTime: "2026-01-01T00:00:00Z",
    });
    expect(cond(running, "Admitted")?.reason).toBe("Admitted"); // the input is not changed
    // Said once: the next pass leaves it as it is.
    expect(ungovernedStatus(s, "emials", "cdp", 1, now)).toBe(s);
  });

  it("says nothing for the default queue, or for a run not admitted", () => {
    expect(ungovernedStatus(running, "default", "cdp", 1, now)).toBe(running);
    const waiting = admissionStatus(running, { queue: "emails", suspended: true }, 1, now);
    expect(ungovernedStatus(waiting, "emails", "cdp", 1, now)).toBe(waiting);
  });
});

describe("a run's decision under admission", () => {
  const attempt = { attempt: 1, job: "r-a1", startTime: "2026-01-01T00:00:01Z" };
  const decided = (over: Partial<RunDecision> = {}): RunDecision => ({
    status: {
      ...running,
      attempts: [attempt],
      attemptCount: 1,
      startTime: "2026-01-01T00:00:01Z",
      resultRef: "k",
    },
    events: [],
    ...over,
  });
  const facts = (spec: Partial<TaskRunSpec>, jobSuspended = true) => ({
    spec: { task: "testing.noop", ...spec },
    generation: 1,
    queue: "emails",
    jobSuspended,
  });

  it("a suspended attempt waits and is looked at again at spec.expiresAt", () => {
    const d = applyAdmission(decided(), facts({ expiresAt: "2026-01-01T00:01:00Z" }), now);
    expect(d.status.phase).toBe("Waiting");
    expect(d.requeueAt?.toISOString()).toBe("2026-01-01T00:01:00.000Z");
    expect(d.deleteJob).toBeUndefined();
  });

  it("still suspended at spec.expiresAt: Expired, the Job deleted, the never-started attempt dropped", () => {
    const d = applyAdmission(decided(), facts({ expiresAt: "2026-01-01T00:00:05Z" }), now);
    expect(d.status.phase).toBe("Expired");
    expect(d.deleteJob).toBe("r-a1");
    expect(d.status.attempts).toEqual([]);
    expect(d.status.attemptCount).toBe(0);
    expect(d.status.startTime).toBeUndefined();
    expect(cond(d.status, "Succeeded")).toMatchObject({ status: "False", reason: "Expired" });
    expect(d.events.map((e) => e.reason)).toEqual(["Expired"]);
  });

  it("a released attempt is not expired: expiresAt bounds the start, not the run", () => {
    const d = applyAdmission(decided(), facts({ expiresAt: "2026-01-01T00:00:05Z" }, false), now);
    expect(d.status.phase).toBe("Running");
    expect(d.deleteJob).toBeUndefined();
  });

  it("a run that is not running (retrying, finished) is left as decide made it", () => {
    const retrying = decided({ status: { phase: "Retrying" } });
    expect(applyAdmission(retrying, facts({}), now)).toBe(retrying);
  });
});
