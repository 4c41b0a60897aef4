// Opening a Redis connection from the runner configuration (URL, password, TLS).
import { Redis } from "ioredis";
import type { RunnerConfig } from "../config.ts";

export interface RedisConnectOptions {
  /** Connection name shown by CLIENT LIST. */
  name?: string;
  /** Commands fail after this many reconnect attempts instead of waiting forever. */
  maxRetriesPerRequest?: number;
}

export function connectRedis(settings: RunnerConfig["redis"], options: RedisConnectOptions = {}): Redis {
  const tls = settings.tls || settings.url.startsWith("rediss://");
  return new Redis(settings.url, {
    ...(settings.password ? { password: settings.password } : {}),
    ...(tls ? { tls: {} } : {}),
    ...(options.name ? { connectionName: options.name } : {}),
    connectTimeout: 5_000,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
}
