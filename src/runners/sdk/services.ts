// The shared clients a task reaches through `ctx.services`, each created on first use from the
// runner configuration, so a task that never touches Postgres never loads `pg`.
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { Pool } from "pg";
import { createArtifactStore } from "../artifacts/factory.ts";
import type { ArtifactStore } from "../artifacts/store.ts";
import type { RunnerConfig } from "../config.ts";
import { connectRedis } from "../results/connection.ts";
import { PermanentError, type TaskServices } from "./task.ts";

const require = createRequire(import.meta.url);

export class RunnerServices implements TaskServices {
  readonly #config: RunnerConfig;
  #redis: Redis | undefined;
  readonly #ownsRedis: boolean;
  #pool: Pool | undefined;
  #artifacts: ArtifactStore | undefined;

  constructor(config: RunnerConfig, shared: { redis?: Redis; artifacts?: ArtifactStore } = {}) {
    this.#config = config;
    this.#redis = shared.redis;
    this.#ownsRedis = !shared.redis;
    this.#artifacts = shared.artifacts;
  }

  config(): RunnerConfig {
    return this.#config;
  }

  redis(): Redis {
    this.#redis ??= connectRedis(this.#config.redis, { name: "synthetiq-runner" });
    return this.#redis;
  }

  database(): Pool {
    if (!this.#pool) {
      const url = this.#config.database.url;
      if (!url)
        throw new PermanentError("this task needs the CDP database but DATABASE_URL is not set", {
          type: "ConfigError",
        });
      // pg is CommonJS: a lazy require keeps it off the cold-start path of tasks that do not use it.
      const pg = require("pg") as typeof import("pg");
      this.#pool = new pg.Pool({ connectionString: url, max: 4 });
    }
    return this.#pool;
  }

  artifacts(): ArtifactStore {
    this.#artifacts ??= createArtifactStore(this.#config.artifacts);
    return this.#artifacts;
  }

  /** Closes what was opened here (a Redis connection passed in stays open). */
  async close(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    if (this.#pool) closing.push(this.#pool.end());
    if (this.#redis && this.#ownsRedis)
      closing.push(this.#redis.quit().catch(() => this.#redis?.disconnect()));
    await Promise.allSettled(closing);
  }
}
