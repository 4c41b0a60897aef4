import { describe, expect, it } from "vitest";
import { buildCronJob, cronJobDrifted } from "../../../src/operator/resources/cronjob.ts";
import {
  type ChildRun,
  CRONJOB_SCHEDULED_TIMESTAMP,
  checkSchedule,
  childrenToPrune,
  childrenToReplace,
  childTaskRun,
  nextScheduleTime,
  scheduleStatus,
  slotTimeOf,
} from "../../../src/operator/schedule.ts";
import { taskRun } from "./builders.ts";

describe("schedules", () => {
  it("accepts five-field crons and macros, and names the problem otherwise", () => {
    expect(checkSchedule({ cron: "*/5 * * * *" })).toEqual({ valid: true });
    expect(checkSchedule({ cron: "@hourly" })).toEqual({ valid: true });
    expect(checkSchedule({ cron: "0 0 * * *", timeZone: "Europe/Paris" })).toEqual({ valid: true });
    const sixFields = checkSchedule({ cron: "0 0 0 * * *" });
    expect(sixFields.valid === false && sixFields.message).toContain("6 fields, expected 5");
    const badMinute = checkSchedule({ cron: "61 * * * *" });
    expect(badMinute.valid === false && badMinute.message).toContain("spec.schedule.cron");
    const badZone = checkSchedule({ cron: "0 0 * * *", timeZone: "Mars/Olympus" });
    expect(badZone.valid === false && badZone.message).toContain("Mars/Olympus");
  });

  it("computes the next slot in the schedule's time zone", () => {
    const after = new Date("2026-03-01T10:17:30Z");
    expect(nextScheduleTime({ cron: "* * * * *" }, after).toISOString()).toBe("2026-03-01T10:18:00.000Z");
    expect(nextScheduleTime({ cron: "0 0 * * *", timeZone: "Europe/Paris" }, after).toISOString()).toBe(
      "2026-03-01T23:00:00.000Z",
    );
  });

  it("reads a slot Job's time from the CronJob controller's annotation", () => {
    const job = { metadata: { annotations: { [CRONJOB_SCHEDULED_TIMESTAMP]: "2026-03-01T10:18:00Z" } } };
    expect(slotTimeOf(job)?.toISOString()).toBe("2026-03-01T10:18:00.000Z");
    expect(slotTimeOf({ metadata: {} })).toBeUndefined();
  });

  it("a slot's child is a one-off copy of the parent named after the slot and owned by it", () => {
    const parent = taskRun(
      { schedule: { cron: "* * * * *" }, runAt: "2026-01-01T00:00:00Z", retry: { maxAttempts: 2 } },
      undefined,
      "nightly",
    );
    const slot = new Date("2026-03-01T10:18:00Z");
    const child = childTaskRun(parent, slot);
    expect(child.metadata.name).toBe(`nightly-${slot.getTime() / 60_000}`);
    expect(child.spec).toEqual({ task: "testing.noop", input: {}, retry: { maxAttempts: 2 } });
    expect(child.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "TaskRun",
      name: "nightly",
      controller: true,
    });
    expect(childTaskRun(parent, new Date("2026-03-01T10:18:30Z")).metadata.name).toBe(child.metadata.name);
  });

  it("prunes finished children beyond the history limits, keeping the newest", () => {
    const run = (minute: number, phase?: "Succeeded" | "Failed" | "Running") => ({
      name: `c${minute}`,
      scheduledTime: `2026-03-01T10:${String(minute).padStart(2, "0")}:00Z`,
      ...(phase ? { phase } : {}),
    });
    const children = [
      run(1, "Succeeded"),
      run(2, "Failed"),
      run(3, "Succeeded"),
      run(4, "Failed"),
      run(5, "Succeeded"),
      run(6, "Running"),
    ];
    expect(childrenToPrune(children, { successful: 2, failed: 1 })).toEqual(["c1", "c2"]);
    expect(childrenToPrune(children, undefined)).toEqual(["c2"]);
  });

  it("Replace cancels every older child still running once a newer slot has started; Allow and Forbid never do", () => {
    const done: ChildRun = { name: "s1", scheduledTime: "2026-03-01T10:16:00.000Z", phase: "Succeeded" };
    const running: ChildRun = { name: "s2", scheduledTime: "2026-03-01T10:17:00.000Z", phase: "Running" };
    const newest: ChildRun = { name: "s3", scheduledTime: "2026-03-01T10:18:00.000Z" };
    const children = [done, running, newest];
    const replace = { cron: "* * * * *", concurrencyPolicy: "Replace" as const };
    expect(childrenToReplace(replace, children)).toEqual(["s2"]);
    // The newest slot is never replaced, even while it runs alone.
    expect(childrenToReplace(replace, [running])).toEqual([]);
    // A child whose cancel is already requested is not cancelled again.
    expect(childrenToReplace(replace, [{ ...running, cancelRequested: true }, newest])).toEqual([]);
    expect(childrenToReplace({ cron: "* * * * *", concurrencyPolicy: "Forbid" }, children)).toEqual([]);
    expect(childrenToReplace({ cron: "* * * * *" }, children)).toEqual([]);
  });

  it("the parent's status shows the last and next slot and the recent runs, newest first", () => {
    const status = scheduleStatus(
      { cron: "* * * * *" },
      [
        { name: "a", scheduledTime: "2026-03-01T10:17:00Z", phase: "Succeeded" },
        { name: "b", scheduledTime: "2026-03-01T10:18:00Z" },
      ],
      new Date("2026-03-01T10:18:10Z"),
    );
    expect(status.lastScheduleTime).toBe("2026-03-01T10:18:00Z");
    expect(status.nextScheduleTime).toBe("2026-03-01T10:19:00Z");
    expect(status.recentRuns?.map((r) => r.name)).toEqual(["b", "a"]);
    expect(
      scheduleStatus({ cron: "* * * * *", suspend: true }, [], new Date()).nextScheduleTime,
    ).toBeUndefined();
  });

  it("the CronJob only marks slots (suspended Job template) and is updated when the schedule changes", () => {
    const parent = taskRun(
      { schedule: { cron: "*/5 * * * *", timeZone: "UTC", concurrencyPolicy: "Forbid" } },
      undefined,
      "nightly",
    );
    const cronJob = buildCronJob(parent, "img");
    expect(cronJob.spec.jobTemplate.spec.suspend).toBe(true);
    expect(cronJob.spec).toMatchObject({
      schedule: "*/5 * * * *",
      timeZone: "UTC",
      concurrencyPolicy: "Forbid",
      suspend: false,
    });
    expect(cronJobDrifted({ spec: { ...cronJob.spec } }, cronJob)).toBe(false);
    expect(cronJobDrifted({ spec: { ...cronJob.spec, schedule: "0 * * * *" } }, cronJob)).toBe(true);
    expect(cronJobDrifted({ spec: { ...cronJob.spec, suspend: true } }, cronJob)).toBe(true);
  });
});
