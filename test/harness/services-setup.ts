// vitest globalSetup for integration tests: one real Redis and one real Postgres for the whole run.
import type { TestProject } from "vitest/node";
import { type RunningService, startPostgres, startRedis } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const started: RunningService[] = [];
  try {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    started.push(redis, postgres);
    project.provide("redisUrl", redis.url);
    project.provide("databaseUrl", postgres.url);
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
  return async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
}
