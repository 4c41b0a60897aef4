// Starts the HTTP API as it is deployed (`node dist/http-api.js`, HTTP_API_* settings) on a free
// loopback port, against the test cluster and Redis, with the test-only tasks enabled.
import { builtEntry } from "../../scripts/build.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "./processes.ts";

export interface RunningTaskApiProcess {
  readonly process: ManagedProcess;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  stop(): Promise<void>;
}

export interface TaskApiProcessOptions {
  kubeconfigPath: string;
  redisUrl: string;
  defaultNamespace: string;
  /** More HTTP_API_* variables (limits, rate, auth cache). */
  env?: Record<string, string>;
}

export async function startTaskApiProcess(options: TaskApiProcessOptions): Promise<RunningTaskApiProcess> {
  const port = await freePort();
  const child = startProcess(`http-api-${port}`, process.execPath, [builtEntry("http-api")], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      KUBECONFIG: options.kubeconfigPath,
      REDIS_URL: options.redisUrl,
      HTTP_API_HOST: "127.0.0.1",
      HTTP_API_PORT: String(port),
      HTTP_API_DEFAULT_NAMESPACE: options.defaultNamespace,
      RUNNER_ENABLE_TEST_TASKS: "1",
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `HTTP API on ${url} to serve /healthz`,
    async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true,
    30_000,
    child.logFile,
  );
  return { process: child, url, stop: () => child.stop("SIGTERM", 10_000) };
}
