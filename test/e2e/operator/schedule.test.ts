// End to end: a scheduled TaskRun owns a CronJob; each slot becomes one child TaskRun named after
// its minute, runs like a one-off run, and shows up in the parent's status.
import { describe, expect, it } from "vitest";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import type { CronJob } from "../../../src/operator/kube/objects.ts";
import { slotChildName } from "../../../src/operator/naming.ts";
import { kubectl, waitFor } from "../../harness/kube.ts";
import { createTaskRun, getTaskRun, jobsOf, useOperator, waitForPhase } from "./helpers.ts";

const suite = useOperator("op-sched");

describe.concurrent("scheduled TaskRuns", () => {
  it("a schedule fires twice: two child TaskRuns, one per minute slot, each succeeding once", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "every-minute", {
      task: "testing.noop",
      input: {},
      schedule: { cron: "* * * * *", concurrencyPolicy: "Forbid", history: { successful: 5 } },
    });
    const cronJob = await waitFor(
      "the schedule's CronJob",
      () => client.get<CronJob>(`/apis/batch/v1/namespaces/${namespace}/cronjobs/every-minute`),
      () => true,
      30_000,
    );
    expect(cronJob.spec).toMatchObject({ schedule: "* * * * *", concurrencyPolicy: "Forbid" });
    expect(cronJob.metadata.ownerReferences?.[0]).toMatchObject({ kind: "TaskRun", name: "every-minute" });

    // The CronJob controller fires at minute boundaries: two slots take at most ~2 minutes.
    const list = () =>
      client.list<{ items: TaskRun[] }>(
        `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`,
        {
          labelSelector: "tasks.synthetiq.io/schedule=every-minute",
        },
      );
    const children = await waitFor(
      "two child TaskRuns to succeed",
      list,
      (l) => l.items.filter((c) => c.status?.phase === "Succeeded").length >= 2,
      170_000,
      1_000,
    );
    const slots = children.items
      .map((c) => new Date(c.metadata.annotations?.["tasks.synthetiq.io/scheduled-time"] ?? ""))
      .sort((a, b) => a.getTime() - b.getTime());
    expect(slots[1]!.getTime() - slots[0]!.getTime()).toBe(60_000);
    for (const child of children.items) {
      const slot = new Date(child.metadata.annotations?.["tasks.synthetiq.io/scheduled-time"] ?? "");
      expect(child.metadata.name).toBe(slotChildName("every-minute", slot));
      expect(child.spec.schedule).toBeUndefined();
      expect(child.metadata.ownerReferences?.[0]).toMatchObject({
        kind: "TaskRun",
        name: "every-minute",
        controller: true,
      });
      if (child.status?.phase === "Succeeded") {
        expect(await jobsOf(client, namespace, child.metadata.name ?? "")).toHaveLength(1);
      }
    }

    const parent = await waitFor(
      "the parent's status to list the runs",
      () => getTaskRun(client, namespace, "every-minute"),
      (p) => (p.status?.recentRuns ?? []).filter((r) => r.phase === "Succeeded").length >= 2,
      30_000,
    );
    expect(parent.status?.phase).toBe("Scheduled");
    expect(Date.parse(parent.status?.lastScheduleTime ?? "")).toBe(slots.at(-1)?.getTime());
    expect(Date.parse(parent.status?.nextScheduleTime ?? "")).toBeGreaterThan(slots.at(-1)!.getTime());
    expect(Date.parse(parent.status?.nextScheduleTime ?? "") % 60_000).toBe(0);
    // kubectl shows when the next slot is, as a time (a "date" column showed a time ahead as <invalid>).
    const wide = await kubectl(["get", "taskrun", "-n", namespace, "every-minute", "-o", "wide"]);
    expect(wide.stdout).toMatch(/NEXT-SCHEDULE/);
    expect(wide.stdout).toMatch(/\s\d{4}-\d\d-\d\dT\d\d:\d\d:00Z\s/);
    expect(wide.stdout).not.toContain("<invalid>");
    // Finished slots' suspended Jobs are deleted, so Forbid lets the next slot start.
    const slotJobs = await client.list<{ items: unknown[] }>(`/apis/batch/v1/namespaces/${namespace}/jobs`, {
      labelSelector: "tasks.synthetiq.io/schedule=every-minute",
    });
    expect(slotJobs.items.length).toBeLessThanOrEqual(1);
  });

  it("concurrencyPolicy Replace: the next slot cancels the child still running (its pod stopped)", async () => {
    const { client, namespace } = suite;
    await createTaskRun(client, namespace, "replace-slow", {
      task: "testing.sleep",
      input: { seconds: 600 },
      schedule: { cron: "* * * * *", concurrencyPolicy: "Replace", history: { successful: 5, failed: 5 } },
    });
    const list = () =>
      client.list<{ items: TaskRun[] }>(
        `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`,
        { labelSelector: "tasks.synthetiq.io/schedule=replace-slow" },
      );
    // Two minute boundaries: the first slot starts its 10-minute sleep, the second replaces it.
    const children = await waitFor(
      "a second slot's child TaskRun",
      list,
      (l) => l.items.length >= 2,
      170_000,
      1_000,
    );
    const [older, newer] = children.items.sort((a, b) =>
      String(a.metadata.annotations?.["tasks.synthetiq.io/scheduled-time"]).localeCompare(
        String(b.metadata.annotations?.["tasks.synthetiq.io/scheduled-time"]),
      ),
    );
    const cancelled = await waitForPhase(client, namespace, older!.metadata.name ?? "", ["Cancelled"]);
    expect(cancelled.spec.cancel).toBe(true);
    await waitFor(
      "the replaced child's Job (and pod) to be gone",
      () => jobsOf(client, namespace, older!.metadata.name ?? ""),
      (jobs) => jobs.length === 0,
      60_000,
    );
    // The newer child goes on. Its own status may land a moment after the older one's cancel (status
    // writes go one at a time while new work is being started), so wait for it rather than read once.
    const current = await waitForPhase(
      client,
      namespace,
      newer!.metadata.name ?? "",
      ["Pending", "Running"],
      30_000,
    );
    expect(current.spec.cancel).toBeUndefined();
    await client.mergePatch(
      `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns/replace-slow`,
      {
        spec: { cancel: true },
      },
    );
  }, 240_000);
});
