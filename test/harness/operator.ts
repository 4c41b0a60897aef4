// Starts the operator as it is deployed (`node --max-semi-space-size=4 dist/operator.js`, the bundle
// the test run builds) as a child process against the test cluster, watching one namespace, with the
// test-only tasks enabled for it and its runners.
import { builtEntry } from "../../scripts/build.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "./processes.ts";

/**
 * Node flags of the operator's container command (the chart's, checked by chart/helm.test.ts): a
 * young generation of 4 MB semi-spaces instead of V8's 16 MB holds the operator's RSS after a burst
 * of 1,000 TaskRuns at ~138 MB instead of ~179 MB (bench/operator-burst.ts), at no measured latency.
 */
export const OPERATOR_NODE_FLAGS = ["--max-semi-space-size=4"];

export interface RunningOperator {
  readonly process: ManagedProcess;
  readonly identity: string;
  readonly metricsUrl: string;
  /** GET /metrics and return the value of one unlabelled series (or the sum over its labels). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

export interface OperatorOptions {
  kubeconfigPath: string;
  redisUrl: string;
  namespace: string;
  identity?: string;
  leaseName?: string;
  env?: Record<string, string>;
  /** Wait until it leads and its caches are synced (false for a standby replica). */
  waitUntilLeading?: boolean;
}

export async function startOperator(options: OperatorOptions): Promise<RunningOperator> {
  const port = await freePort();
  const identity = options.identity ?? `op-${options.namespace}-${port}`;
  const child = startProcess(
    `operator-${identity}`,
    process.execPath,
    [...OPERATOR_NODE_FLAGS, builtEntry("operator")],
    {
      cwd: process.cwd(),
      env: {
        ...process.env,
        KUBECONFIG: options.kubeconfigPath,
        REDIS_URL: options.redisUrl,
        OPERATOR_NAMESPACES: options.namespace,
        OPERATOR_LEASE_NAMESPACE: options.namespace,
        OPERATOR_LEASE_NAME: options.leaseName ?? "synthetiq-tasks-operator",
        OPERATOR_IDENTITY: identity,
        OPERATOR_HTTP_PORT: String(port),
        OPERATOR_LEASE_DURATION_SECONDS: "6",
        OPERATOR_RENEW_DEADLINE_SECONDS: "4",
        OPERATOR_RETRY_PERIOD_SECONDS: "1",
        OPERATOR_SOFT_TO_HARD_GRACE_SECONDS: "5",
        RUNNER_ENABLE_TEST_TASKS: "1",
        OPERATOR_RUNNER_ENV_RUNNER_ENABLE_TEST_TASKS: "1",
        ...options.env,
      },
    },
  );
  const exited = new Promise<number | null>((resolve) => child.child.once("exit", (code) => resolve(code)));
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const text = await (await fetch(metricsUrl)).text();
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(name)) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const set = match[2] ?? "";
      if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(match[3]);
    }
    return sum;
  };
  await waitFor(
    `operator ${identity} to serve /readyz`,
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true,
    30_000,
    child.logFile,
  );
  if (options.waitUntilLeading ?? true) {
    await waitFor(
      `operator ${identity} to lead`,
      async () => (await metric("synthetiq_operator_leader")) === 1,
      30_000,
      child.logFile,
    );
    await waitFor(
      `operator ${identity} caches`,
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      30_000,
      child.logFile,
    );
  }
  return {
    process: child,
    identity,
    metricsUrl,
    metric,
    exited,
    stop: () => child.stop("SIGTERM", 15_000),
    kill: () => child.stop("SIGKILL", 1_000),
  };
}
