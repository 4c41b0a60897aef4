// The Job bench/operator-burst.ts creates directly (its baseline) and its relay controller creates
// for each TaskRun: the smallest Job that the namespace's pod security accepts. Its pod never runs.
/**
 * A scheduler that does not exist: each Job's pod is created once and stays Pending, untouched, as
 * on a cluster whose batch scheduler has not got to it yet. No scheduler works on it, so the API
 * server serves only what the Jobs bring. (Earlier holds made work of their own: a ResourceQuota of
 * 0 pods had the Job controller retry each refused pod create with a growing backoff, and a node
 * selector no node matched had the scheduler write a status and an event for every pod, and had
 * the operator report each run as Unschedulable.)
 */
export const HOLD_SCHEDULER = "bench-hold";

export const minimalJob = (namespace: string, name: string, labels: Record<string, string>) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace, labels },
  spec: {
    backoffLimit: 0,
    template: {
      spec: {
        restartPolicy: "Never",
        schedulerName: HOLD_SCHEDULER,
        securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "runner",
            image: "ghcr.io/synthetiq/tasks:0.1.0",
            command: ["node", "dist/runner.js"],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      },
    },
  },
});
