// The operator process: read the configuration once, serve /metrics /healthz /readyz, wait to
// lead (Lease), then run the TaskRun controller until SIGTERM, releasing the lease on the way out.

import { builtInTasks } from "../runners/registry.ts";
import { attemptResultKey } from "../runners/results/keys.ts";
import { createQueueMetrics } from "./admission/metrics.ts";
import { LABELS } from "./api/common.ts";
import { configFromEnv } from "./config.ts";
import { TaskQueueController } from "./controllers/taskqueue.ts";
import { TaskRunController } from "./controllers/taskrun.ts";
import { startHttpServer } from "./http.ts";
import { byLabel, Caches, cacheSettings } from "./kube/caches.ts";
import { KubeClient } from "./kube/client.ts";
import type { Job } from "./kube/objects.ts";
import { LeaderElector } from "./leader.ts";
import { jsonLogger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { catalogOf } from "./tasks.ts";

const log = jsonLogger(undefined, { component: "operator" }, process.env.OPERATOR_DEBUG === "1");

async function main() {
  const config = configFromEnv(process.env);
  const client = KubeClient.load(config.kube.kubeconfig);
  const metrics = createMetrics();
  client.onRequest = (verb, resource) => metrics.apiRequests.inc({ verb, resource });
  client.onRetry = (verb, resource, cause) => {
    metrics.apiRetries.inc({ verb, resource, cause });
    log.warn("API request sent again", { verb, resource, cause });
  };
  const catalog = catalogOf(builtInTasks.values());
  // Attempt Jobs, read by both controllers: one watch and one copy of each (kube/caches.ts).
  const jobs = new Caches<Job>(
    client,
    cacheSettings(config, log, (resource, cause) => metrics.watchRestarts.inc({ resource, cause })),
    {
      resource: "jobs",
      base: "/apis/batch/v1",
      plural: "jobs",
      labelSelector: LABELS.taskRun,
      indexes: { taskRun: byLabel(LABELS.taskRun), queue: byLabel(LABELS.queue) },
    },
  );
  const queues = new TaskQueueController({
    client,
    config,
    metrics: createQueueMetrics(metrics.registry),
    log: log.with({ controller: "taskqueue" }),
    jobs,
    onWaitingChanged: (taskRun) => controller.queue.add(taskRun),
  });
  const controller = new TaskRunController({
    client,
    config,
    catalog,
    metrics,
    log,
    resultKey: (run, attempt) => attemptResultKey(run, attempt),
    admission: queues,
    jobs,
  });
  const elector = new LeaderElector(client, config.leaderElection, log);
  let started = false;
  const server = await startHttpServer(config.http.host, config.http.port, metrics.registry, {
    healthy: () => true,
    ready: () => !started || (controller.cachesSynced && queues.cachesSynced),
  });
  log.info("operator starting", {
    identity: config.leaderElection.identity,
    namespaces: config.kube.namespaces.length ? config.kube.namespaces : "all",
    tasks: catalog.names().length,
    http: `${config.http.host}:${(server.address() as { port: number }).port}`,
  });

  let stopping = false;
  const shutdown = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info("operator stopping", { why });
    await controller.stop().catch(() => {});
    await queues.stop().catch(() => {});
    jobs.stop();
    await elector.release();
    metrics.leader.set(0);
    server.close();
    client.close();
    process.exit(code);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.once("SIGINT", () => void shutdown("SIGINT", 0));

  if (config.leaderElection.enabled) {
    const leading = await elector.acquire(() => void shutdown("lost the leader lease", 1));
    if (!leading) return;
  }
  metrics.leader.set(1);
  started = true;
  // Queues first: the TaskRun controller must know which queues are governed before it creates Jobs.
  await queues.start();
  await controller.start();
  log.info("controller running", { workers: config.workers });
}

main().catch((error: unknown) => {
  log.error("operator failed", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
