// Builders for the Jobs and Pods the cluster e2e tests create: one container running a Node.js
// script, restartPolicy Never, overridable piecewise.
import type { V1Container, V1Job, V1Pod, V1PodSpec } from "@kubernetes/client-node";

/** Any image other than the runner's runs its command on the host (see docs/local-cluster.md). */
export const PLAIN_IMAGE = "docker.io/library/node:24-alpine";
export const RUNNER_IMAGE = "ghcr.io/synthetiq/tasks:dev";

export function nodeContainer(script: string, overrides: Partial<V1Container> = {}): V1Container {
  return { name: "main", image: PLAIN_IMAGE, command: ["node", "-e", script], ...overrides };
}

export function podSpec(
  script: string,
  overrides: Partial<V1PodSpec> = {},
  container: Partial<V1Container> = {},
): V1PodSpec {
  return { restartPolicy: "Never", containers: [nodeContainer(script, container)], ...overrides };
}

export function nodeJob(
  name: string,
  script: string,
  overrides: {
    spec?: Partial<V1Job["spec"]>;
    pod?: Partial<V1PodSpec>;
    container?: Partial<V1Container>;
  } = {},
): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      backoffLimit: 0,
      ...overrides.spec,
      template: { spec: podSpec(script, overrides.pod, overrides.container) },
    },
  };
}

export function nodePod(
  name: string,
  script: string,
  overrides: { pod?: Partial<V1PodSpec>; container?: Partial<V1Container>; finalizers?: string[] } = {},
): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...(overrides.finalizers ? { finalizers: overrides.finalizers } : {}) },
    spec: podSpec(script, overrides.pod, overrides.container),
  };
}
