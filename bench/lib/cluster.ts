// The local cluster for benchmarks: acquire it, a throw-away namespace with the CRDs applied, the
// operator started for that namespace, and the control-plane processes to watch for CPU and RSS.
// The cluster is shared with other test runs: its components' figures include their load.
import { KubeClient } from "../../src/operator/kube/client.ts";
import { isNotFound } from "../../src/operator/kube/errors.ts";
import { acquireCluster, releaseCluster, type StartedCluster } from "../../test/cluster/cluster.ts";
import { readState } from "../../test/cluster/state.ts";
import { applyCrds } from "../../test/e2e/operator/crds.ts";
import { type RunningOperator, startOperator } from "../../test/harness/operator.ts";
import type { WatchedProcess } from "./procstat.ts";

export interface BenchCluster {
  cluster: StartedCluster;
  client: KubeClient;
  namespace: string;
  /** kube-apiserver, etcd, controller-manager, scheduler, and the node with the pods it runs. */
  controlPlane(): WatchedProcess[];
  kubernetesVersion(): Promise<string>;
  startOperator(redisUrl: string, env?: Record<string, string>): Promise<RunningOperator>;
  close(): Promise<void>;
}

export async function openBenchCluster(prefix: string): Promise<BenchCluster> {
  const cluster = await acquireCluster();
  const client = KubeClient.load(cluster.kubeconfig);
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  const operators: RunningOperator[] = [];
  try {
    await applyCrds(client);
    await client.create("/api/v1/namespaces", { metadata: { name: namespace } });
  } catch (error) {
    client.close();
    await releaseCluster(cluster.layout);
    throw error;
  }
  return {
    cluster,
    client,
    namespace,
    controlPlane: () => controlPlaneOf(cluster),
    async kubernetesVersion() {
      return (await client.get<{ gitVersion: string }>("/version")).gitVersion;
    },
    async startOperator(redisUrl, env = {}) {
      const operator = await startOperator({
        kubeconfigPath: cluster.kubeconfig,
        redisUrl,
        namespace,
        identity: `bench-${namespace}`,
        env,
      });
      operators.push(operator);
      return operator;
    },
    async close() {
      for (const operator of operators) await operator.stop();
      await client
        .delete(`/api/v1/namespaces/${namespace}`, { propagationPolicy: "Background" })
        .catch((e) => {
          if (!isNotFound(e)) console.error(`deleting namespace ${namespace}: ${String(e)}`);
        });
      // The next scenario must not share the cluster with this namespace's deletion.
      await untilNoNamespaceTerminating(client, (m) => process.stderr.write(`[bench] ${m}\n`));
      client.close();
      await releaseCluster(cluster.layout);
    },
  };
}

/**
 * The cluster's processes to watch: kube-apiserver, etcd, controller-manager, scheduler, and the
 * node with the pods it runs. Read at each call: a component restarted by another test run has a
 * new pid.
 */
export function controlPlaneOf(cluster: StartedCluster): WatchedProcess[] {
  return Object.entries((readState(cluster.layout) ?? cluster.state).components).map(([name, component]) => ({
    label: name === "node" ? "process node + runner pods" : name,
    pid: component.pid,
    descendants: name === "node",
  }));
}

/**
 * Waits (up to 5 minutes) while any namespace is being deleted: emptying one of thousands of
 * TaskRuns and Jobs loads the API server and controller-manager for a minute or more, and a
 * measurement taken meanwhile shares the machine with it (a runner cold start measured 159 ms p50
 * right after the 10,000-TaskRun scenario, 111 ms alone).
 */
export async function untilNoNamespaceTerminating(client: KubeClient, progress: (message: string) => void) {
  const deadline = performance.now() + 300_000;
  let said = false;
  while (performance.now() < deadline) {
    const { items } = await client.list<{
      items: Array<{ metadata: { name?: string }; status?: { phase?: string } }>;
    }>("/api/v1/namespaces");
    const terminating = items.filter((n) => n.status?.phase === "Terminating").map((n) => n.metadata.name);
    if (terminating.length === 0) return;
    if (!said) progress(`waiting for namespace ${terminating.join(", ")} to be deleted first`);
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  progress("namespaces still terminating after 5 minutes: going on");
}
