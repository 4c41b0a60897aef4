// Builders for TaskRuns and Jobs shared by the operator's unit tests.
import { z } from "zod";
import { LABELS } from "../../../src/operator/api/common.ts";
import type { TaskRun, TaskRunSpec, TaskRunStatus } from "../../../src/operator/api/taskrun.ts";
import type { Job, Pod } from "../../../src/operator/kube/objects.ts";
import { jobName } from "../../../src/operator/naming.ts";
import { catalogOf } from "../../../src/operator/tasks.ts";

export const catalog = catalogOf([
  { name: "testing.noop", queue: "testing", input: z.object({}) },
  {
    name: "email.send_welcome_email",
    queue: "emails",
    input: z.object({ to: z.email(), name: z.string().min(1) }),
  },
]);

export function taskRun(
  spec: Partial<TaskRunSpec> = {},
  status?: TaskRunStatus,
  name = "welcome-1",
): TaskRun {
  return {
    apiVersion: "tasks.synthetiq.io/v1alpha1",
    kind: "TaskRun",
    metadata: {
      name,
      namespace: "default",
      uid: "uid-1",
      generation: 1,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: { task: "testing.noop", input: {}, ...spec },
    ...(status ? { status } : {}),
  };
}

export function job(
  run: string,
  attempt: number,
  outcome?: { type: "Complete" | "Failed"; reason?: string; at: string },
  start = "2026-01-01T00:00:01Z",
): Job {
  return {
    metadata: {
      name: jobName(run, attempt),
      namespace: "default",
      labels: { [LABELS.taskRun]: run, [LABELS.attempt]: String(attempt) },
      creationTimestamp: start,
    },
    status: {
      startTime: start,
      ...(outcome
        ? {
            conditions: [
              { type: outcome.type, status: "True", reason: outcome.reason, lastTransitionTime: outcome.at },
            ],
          }
        : { active: 1 }),
    },
  };
}

export function podExited(jobNameValue: string, exitCode: number): Pod {
  return {
    metadata: { name: `${jobNameValue}-x7k2p`, namespace: "default" },
    status: {
      phase: exitCode === 0 ? "Succeeded" : "Failed",
      containerStatuses: [{ name: "runner", state: { terminated: { exitCode } } }],
    },
  };
}
