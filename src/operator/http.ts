// The operator's HTTP endpoints on express: /metrics (Prometheus), /healthz (the process is alive
// and its watches are not stalled) and /readyz (caches synced; a standby replica is ready too).
import type { Server } from "node:http";
import express from "express";
import type { Registry } from "prom-client";

export interface HealthProbes {
  healthy(): boolean;
  ready(): boolean;
}

export function startHttpServer(
  host: string,
  port: number,
  registry: Registry,
  probes: HealthProbes,
): Promise<Server> {
  const app = express();
  app.disable("x-powered-by");
  app.get("/metrics", async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.get("/healthz", (_req, res) => {
    res.status(probes.healthy() ? 200 : 503).send(probes.healthy() ? "ok" : "unhealthy");
  });
  app.get("/readyz", (_req, res) => {
    res.status(probes.ready() ? 200 : 503).send(probes.ready() ? "ok" : "not ready");
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}
