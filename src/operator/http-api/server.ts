// Starts the HTTP API on its own port (a standalone process or inside the operator): the express
// app around createTaskApiRouter and a /healthz probe, with the Kubernetes and Redis clients built
// from the config.
import type { Server } from "node:http";
import { KubeConfig } from "@kubernetes/client-node";
import express from "express";
import { Redis } from "ioredis";
import { builtInTasks } from "../../runners/registry.ts";
import { ResultsClient } from "../../runners/results/index.ts";
import type { TaskDefinition } from "../../runners/sdk/task.ts";
import { TaskRunApi } from "../../sdk/taskruns.ts";
import type { Logger } from "../log.ts";
import { kubeAccessReview } from "./access.ts";
import type { TaskApiConfig } from "./config.ts";
import { answerUnknownRoute, createTaskApiRouter } from "./router.ts";

export interface RunningTaskApi {
  server: Server;
  /** e.g. http://127.0.0.1:8081 */
  url: string;
  close(): Promise<void>;
}

export async function startTaskApi(
  config: TaskApiConfig,
  { tasks = builtInTasks, log }: { tasks?: ReadonlyMap<string, TaskDefinition>; log?: Logger } = {},
): Promise<RunningTaskApi> {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromCluster();
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        connectionName: "synthetiq-http-api",
        maxRetriesPerRequest: 2,
        ...(config.redisPassword ? { password: config.redisPassword } : {}),
      })
    : undefined;
  const app = express();
  app.disable("x-powered-by");
  // Liveness/readiness probe: the process serves requests (the checks behind it are per call).
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  app.use(
    createTaskApiRouter({
      taskRuns: new TaskRunApi(kc),
      access: kubeAccessReview(kc, config.authCacheSeconds),
      tasks,
      ...(redis ? { results: new ResultsClient(redis) } : {}),
      defaultNamespace: config.defaultNamespace,
      bodyLimitBytes: config.bodyLimitBytes,
      rateLimit: { perSecond: config.ratePerSecond, burst: config.rateBurst },
      ...(config.authFailuresPerSecond > 0
        ? {
            unreviewedTokenLimit: {
              perSecond: config.authFailuresPerSecond,
              burst: config.authFailuresBurst,
            },
          }
        : {}),
      ...(log ? { log } : {}),
    }),
  );
  // The router answers unknown /v1 paths itself; the rest of this server's paths answer alike.
  app.use(answerUnknownRoute);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  return {
    server,
    url: `http://${config.host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis?.quit();
    },
  };
}
