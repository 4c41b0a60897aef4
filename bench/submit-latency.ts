// Benchmark (not a test): submit-to-result latency of a no-op task (testing.noop) on the local
// cluster with the real operator and runner, through the TypeScript SDK (enqueue → result()) and
// through the HTTP API (POST /v1/tasks/testing.noop → GET ?wait=), sequentially, with p50/p95/max.
// Run: node bench/submit-latency.ts [runs per path, default 10]
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { parse } from "yaml";
import { startTaskApi } from "../src/operator/http-api/server.ts";
import { builtInTasks } from "../src/runners/registry.ts";
import { testingTasks } from "../src/runners/testing/tasks.ts";
import { createTaskClient } from "../src/sdk/index.ts";
import { TaskRunApi } from "../src/sdk/taskruns.ts";
import { acquireCluster, releaseCluster } from "../test/cluster/cluster.ts";
import { startOperator } from "../test/harness/operator.ts";
import { startRedis } from "../test/harness/services.ts";

const runs = Number(process.argv[2] ?? 10);
const tasks = new Map([...builtInTasks, ...testingTasks.map((t) => [t.name, t] as const)]);

function summary(label: string, ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return {
    path: label,
    runs: ms.length,
    p50Ms: Math.round(at(50)),
    p95Ms: Math.round(at(95)),
    maxMs: Math.round(at(100)),
  };
}

const cluster = await acquireCluster();
const redis = await startRedis();
const kc = new KubeConfig();
kc.loadFromFile(cluster.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const namespace = `bench-submit-${randomBytes(3).toString("hex")}`;
const crd = parse(readFileSync("crds/taskruns.tasks.synthetiq.io.yaml", "utf8"));
await kc
  .makeApiClient(ApiextensionsV1Api)
  .createCustomResourceDefinition({ body: crd })
  .catch((e: { code?: number }) => {
    if (e.code !== 409) throw e;
  });
await core.createNamespace({ body: { metadata: { name: namespace } } });
const operator = await startOperator({ kubeconfigPath: cluster.kubeconfig, redisUrl: redis.url, namespace });
const api = await startTaskApi(
  {
    host: "127.0.0.1",
    port: 0,
    kubeconfig: cluster.kubeconfig,
    redisUrl: redis.url,
    defaultNamespace: namespace,
    bodyLimitBytes: 262_144,
    ratePerSecond: 100,
    rateBurst: 100,
    authCacheSeconds: 10,
    authFailuresPerSecond: 1,
    authFailuresBurst: 10,
  },
  { tasks },
);
try {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "bench" } } });
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: "bench" },
      rules: [{ apiGroups: ["tasks.synthetiq.io"], resources: ["taskruns"], verbs: ["create", "get"] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: "bench" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "bench" },
      subjects: [{ kind: "ServiceAccount", name: "bench", namespace }],
    },
  });
  const token = (
    await core.createNamespacedServiceAccountToken({ namespace, name: "bench", body: { spec: {} } })
  ).status?.token;
  const client = createTaskClient({ kubeConfig: kc, namespace, redis: redis.url, tasks });

  const sdk: number[] = [];
  const http: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const started = performance.now();
    await (await client.sendTask("testing.noop", {})).result({ timeout: 120_000 });
    if (i > 0) sdk.push(performance.now() - started); // the first run warms up caches
  }
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  for (let i = 0; i < runs + 1; i++) {
    const started = performance.now();
    const created = (await (
      await fetch(`${api.url}/v1/tasks/testing.noop`, { method: "POST", headers, body: '{"input":{}}' })
    ).json()) as { name: string };
    let body: { result: { status: string } | null } = { result: null };
    while (body.result?.status !== "succeeded") {
      const answer = await fetch(`${api.url}/v1/taskruns/${namespace}/${created.name}?wait=60`, { headers });
      body = (await answer.json()) as typeof body;
    }
    if (i > 0) http.push(performance.now() - started);
  }
  await client.close();
  const finished = await new TaskRunApi(kc).list(namespace);
  console.log(
    JSON.stringify(
      {
        benchmark: "submit-to-result",
        task: "testing.noop",
        results: [summary("sdk", sdk), summary("http", http)],
        taskRuns: finished.length,
      },
      null,
      2,
    ),
  );
} finally {
  await api.close();
  await operator.stop();
  await core.deleteNamespace({ name: namespace }).catch(() => {});
  await redis.stop();
  await releaseCluster(cluster.layout);
}
