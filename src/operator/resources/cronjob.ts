// A scheduled TaskRun → its CronJob (pure). The CronJob only marks slots: its Job template is
// suspended and never runs a pod; the operator turns each of its Jobs into a child TaskRun.
import { API_VERSION, LABELS } from "../api/common.ts";
import type { TaskRun } from "../api/taskrun.ts";
import { cronJobName } from "../naming.ts";

/** The fields of the CronJob the operator owns; a difference in any of them means an update. */
export function buildCronJob(parent: TaskRun, image: string) {
  const schedule = parent.spec.schedule;
  if (!schedule) throw new Error(`TaskRun ${parent.metadata.name} has no spec.schedule`);
  const name = parent.metadata.name ?? "";
  const labels = { [LABELS.schedule]: name };
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: {
      name: cronJobName(name),
      namespace: parent.metadata.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: "TaskRun",
          name,
          uid: parent.metadata.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      schedule: schedule.cron,
      ...(schedule.timeZone ? { timeZone: schedule.timeZone } : {}),
      concurrencyPolicy: schedule.concurrencyPolicy ?? "Allow",
      ...(schedule.startingDeadlineSeconds
        ? { startingDeadlineSeconds: schedule.startingDeadlineSeconds }
        : {}),
      suspend: schedule.suspend ?? false,
      // The slot Jobs are deleted by the operator once their child TaskRun finishes.
      successfulJobsHistoryLimit: 0,
      failedJobsHistoryLimit: 0,
      jobTemplate: {
        metadata: { labels },
        spec: {
          suspend: true,
          backoffLimit: 0,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 65532,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "slot",
                  image,
                  command: ["true"],
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                  },
                },
              ],
            },
          },
        },
      },
    },
  };
}

/** True when the live CronJob's owned fields differ from the desired ones. */
export function cronJobDrifted(
  live: { spec?: Record<string, unknown> },
  desired: ReturnType<typeof buildCronJob>,
) {
  const s = live.spec ?? {};
  const d = desired.spec;
  return (
    s.schedule !== d.schedule ||
    (s.timeZone ?? undefined) !== (d.timeZone ?? undefined) ||
    s.concurrencyPolicy !== d.concurrencyPolicy ||
    (s.startingDeadlineSeconds ?? undefined) !== (d.startingDeadlineSeconds ?? undefined) ||
    Boolean(s.suspend) !== d.suspend
  );
}
