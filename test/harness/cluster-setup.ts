// vitest globalSetup for the e2e project: the local Kubernetes cluster for the whole run. A cluster
// already running (from `npm run cluster:up` or a concurrent test run) is reused and left running;
// otherwise one is started and stopped at the end by the last run using it.
import type { TestProject } from "vitest/node";
import { acquireCluster, releaseCluster } from "../cluster/cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfigPath: string;
    kubectlPath: string;
    /** The cluster's directory (.cluster/), for restartComponent and friends. */
    clusterDir: string;
  }
}

export default async function setup(project: TestProject) {
  const cluster = await acquireCluster();
  process.stderr.write(
    cluster.reused
      ? `[cluster] reusing the running local cluster at ${cluster.state.server}\n`
      : `[cluster] local cluster started in ${(cluster.startMs / 1000).toFixed(1)} s at ${cluster.state.server}\n`,
  );
  project.provide("kubeconfigPath", cluster.kubeconfig);
  project.provide("kubectlPath", cluster.kubectl);
  project.provide("clusterDir", cluster.layout.root);
  return async () => {
    const outcome = await releaseCluster(cluster.layout);
    process.stderr.write(`[cluster] ${outcome === "stopped" ? "stopped" : "left running"}\n`);
  };
}
