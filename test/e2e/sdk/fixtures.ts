// Shared set-up for the SDK, HTTP API and CLI end-to-end tests: the TaskRun CRD installed from
// crds/, service accounts with real tokens (TokenRequest API) and real RBAC Roles on taskruns, the
// task map with the test-only tasks, and writing a runner's result record into Redis.
import { join } from "node:path";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { builtInTasks } from "../../../src/runners/registry.ts";
import { doneChannel, latestResultKey, type ResultRecord } from "../../../src/runners/results/index.ts";
import type { TaskDefinition } from "../../../src/runners/sdk/task.ts";
import { testingTasks } from "../../../src/runners/testing/tasks.ts";
import { clients, kubectl } from "../../harness/kube.ts";

const ROOT = join(import.meta.dirname, "../../..");

/** The built-in tasks plus testing.* (noop, sleep, exit, flaky), as the operator's e2e runners have. */
export const tasksWithTesting: ReadonlyMap<string, TaskDefinition> = new Map([
  ...builtInTasks,
  ...testingTasks.map((t) => [t.name, t] as const),
]);

export async function ensureTaskRunCrd(): Promise<void> {
  const applied = await kubectl([
    "apply",
    "--server-side",
    "--force-conflicts",
    "-f",
    join(ROOT, "crds/taskruns.tasks.synthetiq.io.yaml"),
  ]);
  if (applied.code !== 0) throw new Error(`kubectl apply of the TaskRun CRD failed: ${applied.stderr}`);
  const established = await kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/taskruns.tasks.synthetiq.io",
  ]);
  if (established.code !== 0) throw new Error(`the TaskRun CRD is not established: ${established.stderr}`);
}

/** A ServiceAccount with a fresh token from the TokenRequest API. */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const { core } = clients();
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    .catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token issued for ${namespace}/${name}`);
  return token;
}

/** A Role with `verbs` on taskruns in `namespace`, bound to the ServiceAccount `account`. */
export async function grantTaskRuns(namespace: string, account: string, verbs: string[]): Promise<void> {
  const { rbac } = clients();
  const role = `${account}-taskruns`;
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: role },
      rules: [{ apiGroups: ["tasks.synthetiq.io"], resources: ["taskruns"], verbs }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: role },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
      subjects: [{ kind: "ServiceAccount", name: account, namespace }],
    },
  });
}

/**
 * Writes the final result record of a TaskRun and publishes it, exactly as the runner does at the
 * end of an attempt (key layout of src/runners/results/keys.ts). Used where no operator runs pods.
 */
export async function writeFinalResult(
  ref: { namespace: string; name: string },
  task: string,
  outcome: { output: unknown } | { error: { type: string; message: string } },
): Promise<void> {
  const redis = new Redis(inject("redisUrl"));
  const now = new Date().toISOString();
  const record: ResultRecord = {
    task,
    taskRun: ref,
    attempt: 1,
    status: "output" in outcome ? "succeeded" : "failed",
    final: true,
    startedAt: now,
    finishedAt: now,
    ...("output" in outcome ? { output: outcome.output } : { error: { ...outcome.error, retryable: false } }),
  };
  const json = JSON.stringify(record);
  await redis.set(latestResultKey(ref), json, "EX", 600);
  await redis.publish(doneChannel(ref), json);
  await redis.quit();
}
