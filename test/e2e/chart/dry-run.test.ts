// The chart's rendered manifests accepted by the local API server (server-side dry run, so every
// admission check runs: schema and CEL rules of the CRDs, RBAC objects, Pod Security admission in
// a namespace that enforces `restricted`), with the default and with production-like values; and
// the values helm refuses before anything reaches the server.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART_DIR, findManifest, type Manifest, renderChart, renderChartRaw } from "../../harness/helm.ts";
import { createRestrictedNamespace, deleteNamespace, kubectl, kubectlOk } from "./kube.ts";

/** Prometheus Operator kinds: their CRDs are not on the local cluster, so they are checked by helm only. */
const NOT_ON_THIS_CLUSTER = new Set(["ServiceMonitor", "PodMonitor", "PrometheusRule"]);

const productionValues = {
  operator: { replicas: 2 },
  redis: {
    bundled: { enabled: false },
    url: "redis://redis.cache.svc:6379/0",
    existingSecret: { name: "redis-auth" },
  },
  smtp: { existingSecret: { name: "smtp-credentials" } },
  database: { existingSecret: { name: "cdp-database" } },
  aws: { region: "eu-west-1", existingSecret: { name: "aws-credentials" } },
  artifacts: { s3Bucket: "cdp-artifacts" },
  queues: { bulk: { concurrency: { min: 0, max: 3 }, rateLimit: { perSecond: 2 } } },
  // The queues' default autoscaling, the CRD's schema checks it on the server.
  autoscaling: {
    prometheusUrl: "http://prometheus-operated.monitoring.svc:9090",
    backlogPerSlot: { bulk: 5 },
  },
  metrics: {
    serviceMonitor: { enabled: true },
    podMonitor: { enabled: true },
    prometheusRule: { enabled: true },
  },
  grafana: { dashboard: { enabled: true } },
};

function dryRunApply(namespace: string, manifests: Manifest[]) {
  const documents = manifests.filter(
    (m) => m.kind !== "CustomResourceDefinition" && !NOT_ON_THIS_CLUSTER.has(m.kind),
  );
  const result = kubectl(
    ["apply", "--dry-run=server", "--validate=strict", "-n", namespace, "-f", "-"],
    // JSON, not re-serialized YAML: kubectl reads YAML 1.1, where an unquoted `no` is a boolean.
    JSON.stringify({ apiVersion: "v1", kind: "List", items: documents }),
  );
  return { result, documents };
}

/**
 * A Pod made from each workload's pod template, as the ReplicaSet controller would create it
 * (without its service account, which the dry run did not create: Pod Security does not look at it).
 */
function podsOf(manifests: Manifest[], namespace: string) {
  return manifests
    .filter((m) => m.kind === "Deployment")
    .map((m) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${m.metadata.name}-probe`, namespace, labels: m.spec.template.metadata.labels },
      spec: { ...m.spec.template.spec, serviceAccountName: undefined },
    }));
}

describe("rendered chart on the local API server (server-side dry run)", () => {
  let namespace: string;

  beforeAll(() => {
    // The CRDs are applied for real (cluster-scoped and identical to crds/), as helm install would.
    kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", join(CHART_DIR, "crds")]);
    kubectlOk([
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd/taskruns.tasks.synthetiq.io",
      "crd/taskqueues.tasks.synthetiq.io",
    ]);
    namespace = createRestrictedNamespace("chart-dry-run");
  });
  afterAll(() => {
    if (namespace) deleteNamespace(namespace);
  });

  it.each([
    ["the default values", {}],
    ["production-like values", productionValues],
  ])("accepts every object rendered with %s, without warnings", (_, values) => {
    const manifests = renderChart(values, { namespace });
    const { result, documents } = dryRunApply(namespace, manifests);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const accepted = result.stdout.split("\n").filter((line) => line.endsWith("(server dry run)"));
    expect(accepted).toHaveLength(documents.length);
    for (const kind of ["Deployment", "TaskQueue", "TaskRun", "ClusterRole", "Role", "ServiceAccount"]) {
      expect(
        documents.some((d) => d.kind === kind),
        kind,
      ).toBe(true);
    }
  });

  it("accepts the queues' default autoscaling (every chart queue with its backlog query)", () => {
    const queues = renderChart(productionValues, { namespace }).filter((m) => m.kind === "TaskQueue");
    expect(queues.map((q) => [q.metadata.name, q.spec.autoscaling?.metrics[0].query])).toEqual([
      ["bulk", 'sum(synthetiq_queue_pending_jobs{queue="bulk"})'],
      ["emails", 'sum(synthetiq_queue_pending_jobs{queue="emails"})'],
      ["models", 'sum(synthetiq_queue_pending_jobs{queue="models"})'],
      ["reports", 'sum(synthetiq_queue_pending_jobs{queue="reports"})'],
    ]);
    const { result } = dryRunApply(namespace, queues);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("accepts the HTTP API's objects with its taskruns rights bound in the watched namespace only", () => {
    const manifests = renderChart({ operator: { watchNamespaces: [namespace] } }, { namespace });
    const api = manifests.filter((m) => m.metadata.name.includes("-http-api"));
    expect(api.map((m) => m.kind).sort()).toEqual([
      "ClusterRole",
      "ClusterRole",
      "ClusterRoleBinding",
      "Deployment",
      "RoleBinding",
      "Service",
      "ServiceAccount",
    ]);
    expect(api.find((m) => m.kind === "RoleBinding")?.metadata.namespace).toBe(namespace);
    const { result } = dryRunApply(namespace, api);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const accepted = result.stdout.split("\n").filter((line) => line.endsWith("(server dry run)"));
    expect(accepted).toHaveLength(api.length);
  });

  it("admits the operator, HTTP API and Redis pods in a namespace that enforces the restricted Pod Security Standard", () => {
    const pods = podsOf(renderChart({}, { namespace }), namespace);
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([
      "tasks-synthetiq-tasks-http-api-probe",
      "tasks-synthetiq-tasks-operator-probe",
      "tasks-synthetiq-tasks-redis-probe",
    ]);
    for (const pod of pods) {
      const result = kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(pod));
      expect(result.stderr, pod.metadata.name).toBe("");
      expect(result.status).toBe(0);
    }
  });

  it("would refuse a pod that is not restricted there (the namespace really enforces)", () => {
    const operator = podsOf(renderChart({}, { namespace }), namespace).find((p) =>
      p.metadata.name.endsWith("-operator-probe"),
    );
    const loose = structuredClone(operator!);
    delete loose.spec.securityContext;
    loose.spec.containers[0].securityContext = {};
    const result = kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(loose));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('violates PodSecurity "restricted:latest"');
  });

  it("refuses a queue that the values schema lets through but the CRD forbids, naming the field", () => {
    const manifests = renderChart({ queues: { emails: { concurrency: { min: 5, max: 1 } } } }, { namespace });
    const { result } = dryRunApply(
      namespace,
      manifests.filter((m) => m.kind === "TaskQueue"),
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("concurrency.min must not exceed concurrency.max");
  });

  it("ships the CRDs that scripts/generate-schemas.ts generates", () => {
    for (const crd of ["taskruns", "taskqueues"]) {
      const file = readFileSync(join(CHART_DIR, "crds", `${crd}.tasks.synthetiq.io.yaml`), "utf8");
      const onServer = kubectlOk([
        "get",
        "crd",
        `${crd}.tasks.synthetiq.io`,
        "-o",
        "jsonpath={.spec.versions[0].name}",
      ]);
      expect(file).toContain(`name: ${onServer}`);
    }
  });
});

describe("operator.watchNamespaces that leaves out the release namespace", () => {
  const apiDefaultNamespace = (manifests: Manifest[]) =>
    findManifest(manifests, "Deployment", "-http-api").spec.template.spec.containers[0].env.find(
      (e: { name: string }) => e.name === "HTTP_API_DEFAULT_NAMESPACE",
    ).value;

  it("refuses to render schedules and queues into the release namespace the operator would never watch", () => {
    const result = renderChartRaw({ operator: { watchNamespaces: ["cdp"] } }, { namespace: "tasks" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "schedules.cleanup-expired-sessions, schedules.daily-report, schedules.monthly-report, " +
        'queues.emails, queues.models, queues.reports render into the release namespace "tasks", ' +
        "which operator.watchNamespaces [cdp] leaves out: the operator would never handle them. " +
        'Add "tasks" to operator.watchNamespaces, or set each of them to null',
    );
    const oneLeft = renderChartRaw(
      { operator: { watchNamespaces: ["cdp"] }, schedules: null, queues: { emails: null, models: null } },
      { namespace: "tasks" },
    );
    expect(oneLeft.status).not.toBe(0);
    expect(oneLeft.stderr).toContain('queues.reports render into the release namespace "tasks"');
  });

  it("renders when the schedules and queues are off, the HTTP API then defaulting to the first watched namespace", () => {
    const manifests = renderChart(
      { operator: { watchNamespaces: ["cdp", "marketing"] }, schedules: null, queues: null },
      { namespace: "tasks" },
    );
    expect(manifests.filter((m) => m.kind === "TaskRun" || m.kind === "TaskQueue")).toEqual([]);
    expect(apiDefaultNamespace(manifests)).toBe("cdp");
  });

  it("defaults the HTTP API to the release namespace, where the queues are, when it is watched", () => {
    for (const watchNamespaces of [[], ["cdp", "tasks"], ["tasks", "cdp"]]) {
      const manifests = renderChart({ operator: { watchNamespaces } }, { namespace: "tasks" });
      expect(apiDefaultNamespace(manifests), JSON.stringify(watchNamespaces)).toBe("tasks");
      expect(manifests.filter((m) => m.kind === "TaskQueue").map((q) => q.metadata.namespace)).toEqual([
        "tasks",
        "tasks",
        "tasks",
      ]);
    }
    const chosen = renderChart({
      operator: { watchNamespaces: ["cdp", "tasks"] },
      httpApi: { defaultNamespace: "cdp" },
    });
    expect(apiDefaultNamespace(chosen)).toBe("cdp");
  });
});
