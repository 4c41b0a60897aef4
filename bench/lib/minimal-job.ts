// The Job bench/operator-burst.ts creates directly (its baseline) and its relay controller creates
// for each TaskRun: the smallest Job that the namespace's pod security accepts. Its pod never runs.
/**
 * A node selector no node matches: each Job's pod is created once and stays Pending. (A ResourceQuota
 * of 0 pods held them too, but the Job controller retries a refused pod create with a growing
 * backoff, so that the longer a burst took, the more API server work it had to share: a slower
 * system was slowed further.)
 */
export const UNSCHEDULABLE = { "bench.synthetiq.io/hold": "no-such-node" } as const;

export const minimalJob = (namespace: string, name: string, labels: Record<string, string>) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace, labels },
  spec: {
    backoffLimit: 0,
    template: {
      spec: {
        restartPolicy: "Never",
        nodeSelector: UNSCHEDULABLE,
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
