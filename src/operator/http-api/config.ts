// The HTTP API server's configuration (HTTP_API_*), read from the environment and validated once.
import { z } from "zod";

export const taskApiConfigSchema = z.object({
  /** 127.0.0.1 unless the server is meant to be reached from outside the pod/host. */
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65_535).default(8081),
  /** A kubeconfig file; unset means in-cluster (the service account's) credentials. */
  kubeconfig: z.string().optional(),
  /** Redis of the results (the GET answer's result and ?wait=); unset means no results. */
  redisUrl: z.string().min(1).optional(),
  /** The Redis password (from a Secret, as REDIS_PASSWORD); never part of the URL. */
  redisPassword: z.string().min(1).optional(),
  defaultNamespace: z.string().min(1).default("default"),
  bodyLimitBytes: z.coerce.number().int().min(1024).max(16_777_216).default(262_144),
  ratePerSecond: z.coerce.number().positive().default(20),
  rateBurst: z.coerce.number().int().min(1).default(40),
  /** How long TokenReview/SubjectAccessReview answers are reused (0 disables the cache). */
  authCacheSeconds: z.coerce.number().int().min(0).max(300).default(10),
  /**
   * Tokens not yet reviewed that one client address may send, a second and at once (each costs a
   * TokenReview; valid ones are given back). 0 a second: no limit, for a proxy or mesh that shows
   * every client as one address.
   */
  authFailuresPerSecond: z.coerce.number().min(0).default(1),
  authFailuresBurst: z.coerce.number().int().min(1).default(10),
});
export type TaskApiConfig = z.infer<typeof taskApiConfigSchema>;

const ENV: Record<keyof TaskApiConfig, string> = {
  host: "HTTP_API_HOST",
  port: "HTTP_API_PORT",
  kubeconfig: "KUBECONFIG",
  redisUrl: "REDIS_URL",
  redisPassword: "REDIS_PASSWORD",
  defaultNamespace: "HTTP_API_DEFAULT_NAMESPACE",
  bodyLimitBytes: "HTTP_API_BODY_LIMIT_BYTES",
  ratePerSecond: "HTTP_API_RATE_PER_SECOND",
  rateBurst: "HTTP_API_RATE_BURST",
  authCacheSeconds: "HTTP_API_AUTH_CACHE_SECONDS",
  authFailuresPerSecond: "HTTP_API_AUTH_FAILURES_PER_SECOND",
  authFailuresBurst: "HTTP_API_AUTH_FAILURES_BURST",
};

/** Reads the HTTP_API_* variables; throws naming each bad variable and its value's problem. */
export function taskApiConfigFromEnv(env: NodeJS.ProcessEnv): TaskApiConfig {
  const raw = Object.fromEntries(Object.entries(ENV).map(([key, name]) => [key, env[name] || undefined]));
  const parsed = taskApiConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${ENV[i.path[0] as keyof TaskApiConfig]}: ${i.message}`);
    throw new Error(`invalid HTTP API configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}
