// The Job bench/operator-burst.ts creates directly (its baseline) and its relay controller creates
// for each TaskRun: the smallest Job that the namespace's pod security and quota accept.
export const minimalJob = (namespace: string, name: string, labels: Record<string, string>) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, namespace, labels },
  spec: {
    backoffLimit: 0,
    template: {
      spec: {
        restartPolicy: "Never",
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
