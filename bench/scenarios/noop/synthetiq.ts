// This project: the SDK creates a TaskRun of testing.noop, the operator makes a Job, the process
// node starts the runner pod, the runner writes the result to Redis and publishes it, and the
// SDK's handle.result() returns.
import { KubeConfig } from "@kubernetes/client-node";
import { builtInTasks } from "../../../src/runners/registry.ts";
import { testingTasks } from "../../../src/runners/testing/tasks.ts";
import { createTaskClient } from "../../../src/sdk/index.ts";
import { startRedis } from "../../../test/harness/services.ts";
import type { BenchCluster } from "../../lib/cluster.ts";
import { redisServerPid } from "../../lib/redis-pid.ts";
import { type Contender, measureInProcess } from "./contender.ts";

export async function startSynthetiq(bench: BenchCluster): Promise<Contender> {
  const redis = await startRedis();
  try {
    const operator = await bench.startOperator(redis.url);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(bench.cluster.kubeconfig);
    const client = createTaskClient({
      kubeConfig,
      namespace: bench.namespace,
      redis: redis.url,
      tasks: new Map([...builtInTasks, ...testingTasks.map((t) => [t.name, t] as const)]),
    });
    return {
      processes: [
        { label: "operator", pid: operator.process.child.pid ?? -1 },
        ...bench.controlPlane(),
        { label: "redis-server", pid: await redisServerPid(redis.url) },
        { label: "client (bench process)", pid: process.pid },
      ],
      measure: (counts) =>
        measureInProcess(async () => {
          await (await client.sendTask("testing.noop", {})).result({ timeout: 300_000 });
        }, counts),
      async stop() {
        await client.close();
        await redis.stop();
      },
    };
  } catch (error) {
    await redis.stop();
    throw error;
  }
}
