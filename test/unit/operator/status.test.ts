import { describe, expect, it } from "vitest";
import type { TaskRunStatus } from "../../../src/operator/api/taskrun.ts";
import { effectiveRetry } from "../../../src/operator/backoff.ts";
import type { Pod } from "../../../src/operator/kube/objects.ts";
import {
  decide,
  jobLane,
  observeAttempt,
  podEventMatters,
  type RunFacts,
  taskRunLane,
} from "../../../src/operator/status.ts";
import { checkInput } from "../../../src/operator/tasks.ts";
import { catalog, job, podExited, taskRun } from "./builders.ts";

const now = new Date("2026-01-01T00:01:00Z");
const retry = effectiveRetry({
  maxAttempts: 3,
  backoff: { initialSeconds: 10, factor: 2, maxSeconds: 60, jitter: 0 },
});

function facts(run = taskRun(), jobs: RunFacts["jobs"] = [], at = now): RunFacts {
  return {
    run,
    jobs,
    input: checkInput(catalog, run.spec),
    retry,
    resultKey: (n) => `result:${run.metadata.name}:${n}`,
    now: at,
  };
}
const toIso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
const cond = (status: TaskRunStatus, type: string) => status.conditions?.find((c) => c.type === type);

describe("work-queue lanes", () => {
  it("puts new runs, changed specs and finished attempts first, and progress echoes in the normal lane", () => {
    const running: TaskRunStatus = { phase: "Running", observedGeneration: 1 };
    expect(taskRunLane(taskRun())).toBe("first");
    expect(taskRunLane(taskRun({}, running))).toBe("normal");
    const cancelled = taskRun({ cancel: true }, running);
    cancelled.metadata.generation = 2; // spec.cancel set: not yet observed
    expect(taskRunLane(cancelled)).toBe("first");
    expect(jobLane(job("r", 1))).toBe("normal");
    expect(jobLane(job("r", 1, { type: "Complete", at: "2026-01-01T00:00:30Z" }))).toBe("first");
    expect(jobLane(job("r", 1, { type: "Failed", at: "2026-01-01T00:00:30Z" }))).toBe("first");
  });
});

describe("attempt observation", () => {
  it("reads success, hard timeout, permanent and retryable failures from the Job and its pod", () => {
    const at = "2026-01-01T00:00:30Z";
    expect(observeAttempt(1, job("r", 1, { type: "Complete", at }), undefined)).toMatchObject({
      reason: "Succeeded",
      exitCode: 0,
      completionTime: at,
    });
    expect(
      observeAttempt(1, job("r", 1, { type: "Failed", reason: "DeadlineExceeded", at }), undefined).reason,
    ).toBe("HardTimeout");
    expect(
      observeAttempt(
        1,
        job("r", 1, { type: "Failed", reason: "PodFailurePolicy", at }),
        podExited("r-a1", 2),
      ),
    ).toMatchObject({ reason: "Permanent", exitCode: 2, pod: "r-a1-x7k2p" });
    expect(
      observeAttempt(
        1,
        job("r", 1, { type: "Failed", reason: "BackoffLimitExceeded", at }),
        podExited("r-a1", 1),
      ),
    ).toMatchObject({ reason: "Retryable", exitCode: 1 });
  });

  it("a failure after the soft timeout is reported as SoftTimeout", () => {
    const failed = job("r", 1, {
      type: "Failed",
      reason: "BackoffLimitExceeded",
      at: "2026-01-01T00:00:31Z",
    });
    expect(observeAttempt(1, failed, podExited("r-a1", 1), 20).reason).toBe("SoftTimeout");
    expect(observeAttempt(1, failed, podExited("r-a1", 1), 60).reason).toBe("Retryable");
  });
});

describe("deciding a TaskRun's next step", () => {
  it("a new run creates attempt 1 and says it is running", () => {
    const d = decide(facts());
    expect(d.createAttempt).toBe(1);
    expect(d.status).toMatchObject({
      phase: "Running",
      attemptCount: 1,
      queue: "testing",
      observedGeneration: 1,
    });
    expect(d.status.attempts?.[0]).toMatchObject({ attempt: 1, job: "welcome-1-a1" });
    expect(cond(d.status, "Succeeded")).toMatchObject({ status: "Unknown", observedGeneration: 1 });
    expect(cond(d.status, "InputValid")).toMatchObject({ status: "True" });
  });

  it("invalid input fails the run without a Job and names every bad field", () => {
    const run = taskRun({ task: "email.send_welcome_email", input: { to: "not-an-email" } });
    const d = decide(facts(run));
    expect(d.createAttempt).toBeUndefined();
    expect(d.status.phase).toBe("Failed");
    const inputValid = cond(d.status, "InputValid");
    expect(inputValid).toMatchObject({ status: "False", reason: "InvalidInput" });
    expect(inputValid?.message).toContain("input.to");
    expect(inputValid?.message).toContain("input.name");
    expect(cond(d.status, "Succeeded")).toMatchObject({ status: "False", reason: "InvalidInput" });
    // Counted in its task's queue, where its successes are (metrics label by status.queue).
    expect(d.status.queue).toBe("emails");
  });

  it("an unknown task fails the same way and lists the known tasks", () => {
    const d = decide(facts(taskRun({ task: "email.send_welcom_email" })));
    expect(d.status.queue).toBeUndefined();
    expect(d.createAttempt).toBeUndefined();
    expect(cond(d.status, "InputValid")).toMatchObject({ status: "False", reason: "UnknownTask" });
    expect(cond(d.status, "InputValid")?.message).toContain("email.send_welcome_email");
  });

  it("a running attempt keeps the run Running and creates nothing", () => {
    const first = decide(facts());
    const run = taskRun({}, first.status);
    const d = decide(facts(run, [{ attempt: 1, job: job("welcome-1", 1) }]));
    expect(d.createAttempt).toBeUndefined();
    expect(d.status.phase).toBe("Running");
  });

  it("a Job the status does not record yet gets the status its creating pass would have written", () => {
    // The pass that creates a Job leaves the status write to the pass its watch event brings.
    const created = decide(facts()).status;
    const at = new Date("2026-01-01T00:01:02Z");
    const d = decide(facts(taskRun(), [{ attempt: 1, job: job("welcome-1", 1, undefined, toIso(now)) }], at));
    expect(d.createAttempt).toBeUndefined();
    expect(d.status).toMatchObject({
      phase: created.phase,
      startTime: created.startTime,
      attemptCount: 1,
      resultRef: created.resultRef,
      attempts: created.attempts,
    });
    for (const type of ["InputValid", "Admitted", "Succeeded"]) {
      expect(cond(d.status, type)).toMatchObject({ ...cond(created, type), lastTransitionTime: toIso(at) });
    }
  });

  it("a container that cannot start shows its waiting reason and the kubelet's message, once as an event", () => {
    const run = taskRun({}, decide(facts()).status);
    const kubelet = 'secret "redis-auth" not found';
    const stuckPod = (reason: string, init = false): Pod => {
      const statuses = [
        { name: init ? "wait-for-db" : "runner", state: { waiting: { reason, message: kubelet } } },
      ];
      return {
        metadata: { name: "welcome-1-a1-x7k2p", namespace: "default" },
        status: {
          phase: "Pending",
          ...(init ? { initContainerStatuses: statuses } : { containerStatuses: statuses }),
        },
      };
    };
    const stuck = decide(
      facts(run, [{ attempt: 1, job: job("welcome-1", 1), pod: stuckPod("CreateContainerConfigError") }]),
    );
    expect(stuck.status.phase).toBe("Running");
    expect(cond(stuck.status, "Succeeded")).toMatchObject({
      status: "Unknown",
      reason: "CreateContainerConfigError",
    });
    expect(cond(stuck.status, "Succeeded")?.message).toContain(kubelet);
    expect(stuck.events.map((e) => e.reason)).toEqual(["CreateContainerConfigError"]);

    const again = decide(
      facts(taskRun({}, stuck.status), [
        { attempt: 1, job: job("welcome-1", 1), pod: stuckPod("CreateContainerConfigError") },
      ]),
    );
    expect(again.events).toEqual([]);

    for (const reason of ["InvalidImageName", "ErrImagePull", "ImagePullBackOff"]) {
      const d = decide(facts(run, [{ attempt: 1, job: job("welcome-1", 1), pod: stuckPod(reason, true) }]));
      expect(cond(d.status, "Succeeded")).toMatchObject({ reason });
      expect(cond(d.status, "Succeeded")?.message).toContain("wait-for-db");
    }
    // Waiting that resolves by itself is not reported, and a started container clears the reason.
    const creating = decide(
      facts(taskRun({}, stuck.status), [
        { attempt: 1, job: job("welcome-1", 1), pod: stuckPod("ContainerCreating") },
      ]),
    );
    expect(cond(creating.status, "Succeeded")?.reason).toBe("Running");
    expect(creating.events).toEqual([]);
  });

  it("a pod no node can take shows the scheduler's message, once as an event, until it is scheduled", () => {
    const run = taskRun({}, decide(facts()).status);
    const scheduler = "0/3 nodes are available: 3 Insufficient memory.";
    const pod = (scheduled: "True" | "False", phase = "Pending"): Pod => ({
      metadata: { name: "welcome-1-a1-x7k2p", namespace: "default" },
      status: {
        phase,
        conditions: [
          {
            type: "PodScheduled",
            status: scheduled,
            ...(scheduled === "False" ? { reason: "Unschedulable", message: scheduler } : {}),
          },
        ],
      },
    });
    const waiting = decide(facts(run, [{ attempt: 1, job: job("welcome-1", 1), pod: pod("False") }]));
    expect(waiting.status.phase).toBe("Running");
    expect(cond(waiting.status, "Succeeded")).toMatchObject({
      status: "Unknown",
      reason: "Unschedulable",
      message: `attempt 1: pod welcome-1-a1-x7k2p cannot be scheduled: ${scheduler}`,
    });
    expect(waiting.events).toEqual([
      { type: "Warning", reason: "Unschedulable", message: cond(waiting.status, "Succeeded")?.message },
    ]);
    const again = decide(
      facts(taskRun({}, waiting.status), [{ attempt: 1, job: job("welcome-1", 1), pod: pod("False") }]),
    );
    expect(again.events).toEqual([]);
    const placed = decide(
      facts(taskRun({}, waiting.status), [{ attempt: 1, job: job("welcome-1", 1), pod: pod("True") }]),
    );
    expect(cond(placed.status, "Succeeded")?.reason).toBe("Running");
  });

  it("a pod's event brings a pass only when it can change the run's status", () => {
    const pod = (status: NonNullable<Pod["status"]>): Pod => ({ metadata: { name: "p" }, status });
    const pending = pod({ phase: "Pending" });
    const unschedulable = pod({
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "no node" }],
    });
    const scheduled = pod({ phase: "Pending", conditions: [{ type: "PodScheduled", status: "True" }] });
    const pulling = pod({
      phase: "Pending",
      containerStatuses: [{ name: "runner", state: { waiting: { reason: "ImagePullBackOff" } } }],
    });
    expect(podEventMatters(pending, "Running")).toBe(false);
    expect(podEventMatters(scheduled, "Running")).toBe(false);
    expect(podEventMatters(unschedulable, "Running")).toBe(true);
    expect(podEventMatters(pulling, "Running")).toBe(true);
    expect(podEventMatters(pod({ phase: "Running" }), "Running")).toBe(true);
    // The problem the run shows has gone: the pass puts the condition back to Running.
    expect(podEventMatters(scheduled, "Unschedulable")).toBe(true);
    expect(podEventMatters(pending, "ImagePullBackOff")).toBe(true);
  });

  it("a retryable failure waits for the backoff, then creates the next attempt", () => {
    const run = taskRun({}, decide(facts()).status);
    const failed = job("welcome-1", 1, {
      type: "Failed",
      reason: "BackoffLimitExceeded",
      at: "2026-01-01T00:00:55Z",
    });
    const jobs = [{ attempt: 1, job: failed, pod: podExited("welcome-1-a1", 1) }];
    const waiting = decide(facts(run, jobs));
    expect(waiting.createAttempt).toBeUndefined();
    expect(waiting.status).toMatchObject({ phase: "Retrying", nextAttemptTime: "2026-01-01T00:01:05.000Z" });
    expect(waiting.requeueAt?.toISOString()).toBe("2026-01-01T00:01:05.000Z");
    expect(cond(waiting.status, "Admitted")).toMatchObject({ status: "False", reason: "BackoffPending" });

    const later = decide(facts(taskRun({}, waiting.status), jobs, new Date("2026-01-01T00:01:06Z")));
    expect(later.createAttempt).toBe(2);
    expect(later.status.attempts?.map((a) => [a.attempt, a.reason])).toEqual([
      [1, "Retryable"],
      [2, undefined],
    ]);
    expect(later.status.nextAttemptTime).toBeUndefined();
  });

  it("a permanent failure ends the run Failed without another attempt", () => {
    const run = taskRun({}, decide(facts()).status);
    const failed = job("welcome-1", 1, {
      type: "Failed",
      reason: "PodFailurePolicy",
      at: "2026-01-01T00:00:55Z",
    });
    const d = decide(facts(run, [{ attempt: 1, job: failed, pod: podExited("welcome-1-a1", 2) }]));
    expect(d.createAttempt).toBeUndefined();
    expect(d.status.phase).toBe("Failed");
    expect(cond(d.status, "Succeeded")).toMatchObject({ status: "False", reason: "PermanentFailure" });
  });

  it("the last allowed attempt failing ends the run RetriesExhausted", () => {
    const jobs = [1, 2, 3].map((n) => ({
      attempt: n,
      job: job("welcome-1", n, {
        type: "Failed",
        reason: "BackoffLimitExceeded",
        at: "2026-01-01T00:00:55Z",
      }),
      pod: podExited(`welcome-1-a${n}`, 1),
    }));
    const d = decide(facts(taskRun({}, { phase: "Running" }), jobs));
    expect(d.createAttempt).toBeUndefined();
    expect(cond(d.status, "Succeeded")).toMatchObject({ status: "False", reason: "RetriesExhausted" });
  });

  it("success ends the run Succeeded with completion time, duration and the result reference", () => {
    const run = taskRun({}, decide(facts(taskRun(), [], new Date("2026-01-01T00:00:01Z"))).status);
    const done = job("welcome-1", 1, { type: "Complete", at: "2026-01-01T00:00:13Z" });
    const d = decide(facts(run, [{ attempt: 1, job: done }]));
    expect(d.status).toMatchObject({
      phase: "Succeeded",
      completionTime: "2026-01-01T00:00:13Z",
      duration: "12s",
      resultRef: "result:welcome-1:1",
    });
    expect(cond(d.status, "Succeeded")).toMatchObject({ status: "True", reason: "Succeeded" });
    expect(decide(facts(taskRun({}, d.status), [{ attempt: 1, job: done }])).events).toEqual([]);
  });

  it("cancelling a running run deletes its Job and ends it Cancelled", () => {
    const run = taskRun({ cancel: true }, decide(facts()).status);
    const d = decide(facts(run, [{ attempt: 1, job: job("welcome-1", 1) }]));
    expect(d.deleteJob).toBe("welcome-1-a1");
    expect(d.status.phase).toBe("Cancelled");
    expect(d.status.attempts?.[0]?.reason).toBe("Cancelled");
  });

  it("a run not yet due waits, and an expired one ends without a Job", () => {
    const notDue = decide(facts(taskRun({ runAt: "2026-01-01T00:10:00Z" })));
    expect(notDue.createAttempt).toBeUndefined();
    expect(notDue.status.phase).toBe("Waiting");
    expect(cond(notDue.status, "Succeeded")).toMatchObject({ status: "Unknown", reason: "NotYetDue" });
    const expired = decide(facts(taskRun({ expiresAt: "2026-01-01T00:00:30Z" })));
    expect(expired.createAttempt).toBeUndefined();
    expect(expired.status.phase).toBe("Expired");
  });

  it("a Job that vanished while running counts as a failed attempt and is retried", () => {
    const run = taskRun({}, decide(facts()).status);
    const d = decide(facts(run, []));
    expect(d.status.attempts?.[0]).toMatchObject({ reason: "JobDeleted" });
    expect(d.status.phase).toBe("Retrying");
  });

  it("keeps a condition's lastTransitionTime while its status does not change", () => {
    const first = decide(facts(taskRun(), [], new Date("2026-01-01T00:00:01Z")));
    const again = decide(facts(taskRun({}, first.status), [{ attempt: 1, job: job("welcome-1", 1) }]));
    expect(cond(again.status, "InputValid")).toEqual(cond(first.status, "InputValid"));
  });
});
