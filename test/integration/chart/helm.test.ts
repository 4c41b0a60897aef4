// The Helm chart rendered by the real helm binary: lint, what the default and non-default values
// produce, and wrong values refused with a message that names the field.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { entryPath } from "../../../scripts/build.ts";
import { taskQueueSpec } from "../../../src/operator/api/taskqueue.ts";
import { type TaskRun, taskRunSpec } from "../../../src/operator/api/taskrun.ts";
import { configFromEnv, operatorConfigSchema } from "../../../src/operator/config.ts";
import { taskApiConfigFromEnv } from "../../../src/operator/http-api/config.ts";
import { buildJob } from "../../../src/operator/resources/job.ts";
import { readRunnerConfig } from "../../../src/runners/config.ts";
import { K8S_VERSION, REPO_ROOT } from "../../cluster/layout.ts";
import {
  CHART_DIR,
  findManifest,
  helm,
  type Manifest,
  renderChart,
  renderChartRaw,
} from "../../harness/helm.ts";
import { OPERATOR_NODE_FLAGS } from "../../harness/operator.ts";
import { operatorMetrics, selectedMetrics } from "../../harness/promql.ts";

const appVersion = (parseYaml(readFileSync(join(CHART_DIR, "Chart.yaml"), "utf8")) as { appVersion: string })
  .appVersion;

/** Values of a production-like install: external Redis, every Secret reference, monitoring on. */
const productionValues = {
  image: { tag: "1.2.3" },
  operator: { replicas: 2, watchNamespaces: ["tasks", "cdp"] },
  redis: {
    bundled: { enabled: false },
    url: "rediss://redis.cache.svc:6380/2",
    existingSecret: { name: "redis-auth", passwordKey: "pw" },
  },
  smtp: { existingSecret: { name: "smtp-credentials" }, from: "CDP <ops@example.com>" },
  database: { existingSecret: { name: "cdp-database", urlKey: "dsn" } },
  aws: { region: "eu-west-1", existingSecret: { name: "aws-credentials" } },
  artifacts: { s3Bucket: "cdp-artifacts" },
  queues: { models: null, bulk: { concurrency: { min: 0, max: 3 } } },
  autoscaling: { prometheusUrl: "http://prometheus-operated.monitoring.svc:9090" },
  schedules: { "daily-report": { schedule: { suspend: true } } },
  metrics: {
    serviceMonitor: { enabled: true, labels: { release: "kube-prometheus" } },
    podMonitor: { enabled: true },
    prometheusRule: { enabled: true },
  },
  grafana: { dashboard: { enabled: true, namespace: "grafana" } },
};

const operatorPodSpec = (manifests: Manifest[]) =>
  findManifest(manifests, "Deployment", "-operator").spec.template.spec;

/** The operator container's plain environment, name → value. */
function operatorEnv(manifests: Manifest[]): Record<string, string | undefined> {
  const [container] = operatorPodSpec(manifests).containers;
  return Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
}

describe("helm lint", () => {
  it.each([
    ["default values", {}],
    ["production-like values", productionValues],
  ])("passes with %s", (_, values) => {
    const result = helm(["lint", CHART_DIR, "--strict", "--kube-version", K8S_VERSION], values);
    expect(result.stderr + result.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(result.status).toBe(0);
  });
});

describe("helm template with the default values", () => {
  const manifests = renderChart();

  it("runs the operator as the chart's appVersion image under the restricted pod security standard", () => {
    const pod = operatorPodSpec(manifests);
    const [container] = pod.containers;
    expect(container.image).toBe(`ghcr.io/synthetiq/tasks:${appVersion}`);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    const tmp = container.volumeMounts.find((v: { mountPath: string }) => v.mountPath === "/tmp");
    expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    // The command runs the operator's bundle, which the image builds (scripts/build.ts), with the
    // same Node flags as the operator the tests and benchmarks run.
    expect(container.command).toEqual(["node", ...OPERATOR_NODE_FLAGS, entryPath("operator")]);
  });

  it("gives the runners their own service account without an API token", () => {
    const runnerAccount = findManifest(manifests, "ServiceAccount", "-runner");
    expect(runnerAccount.automountServiceAccountToken).toBe(false);
    expect(runnerAccount.imagePullSecrets).toBeUndefined();
    expect(operatorEnv(manifests).OPERATOR_RUNNER_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN).toBeUndefined();
    for (const queue of manifests.filter((m) => m.kind === "TaskQueue")) {
      expect(queue.spec.defaults.pod.serviceAccountName).toBe(runnerAccount.metadata.name);
    }
  });

  it("grants the operator no Secret access and no wildcards, and its Lease rights only in its namespace", () => {
    const roles = manifests.filter(
      (m) => (m.kind === "ClusterRole" || m.kind === "Role") && m.metadata.name.includes("operator"),
    );
    expect(roles.length).toBeGreaterThanOrEqual(2);
    for (const role of roles) {
      for (const rule of role.rules) {
        expect(rule.resources).not.toContain("secrets");
        expect([...rule.resources, ...rule.verbs, ...rule.apiGroups]).not.toContain("*");
      }
    }
    const clusterRules = findManifest(manifests, "ClusterRole", "-operator").rules;
    expect(clusterRules.flatMap((r: { apiGroups: string[] }) => r.apiGroups)).not.toContain(
      "coordination.k8s.io",
    );
    const leaseRole = findManifest(manifests, "Role", "-leader-election");
    expect(leaseRole.metadata.namespace).toBe("tasks");
    expect(leaseRole.rules[0].resources).toEqual(["leases"]);
  });

  it("adds TaskRun and TaskQueue rights to the built-in view, edit and admin roles", () => {
    const aggregated = (suffix: string) => findManifest(manifests, "ClusterRole", suffix);
    expect(aggregated("-view").metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-view"]).toBe("true");
    expect(aggregated("-view").rules[0].verbs).toEqual(["get", "list", "watch"]);
    expect(aggregated("-edit").metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-edit"]).toBe("true");
    expect(aggregated("-edit").rules[0].resources).toEqual(["taskruns"]);
    expect(aggregated("-admin").metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-admin"]).toBe(
      "true",
    );
    expect(aggregated("-admin").rules[0].resources).toEqual(["taskqueues"]);
  });

  it("ships the emails, models and reports queues as valid TaskQueues", () => {
    const queues = manifests.filter((m) => m.kind === "TaskQueue");
    expect(queues.map((q) => q.metadata.name).sort()).toEqual(["emails", "models", "reports"]);
    for (const queue of queues) {
      const parsed = taskQueueSpec.safeParse(queue.spec);
      expect(parsed.error?.issues ?? [], queue.metadata.name).toEqual([]);
    }
  });

  it("replaces celery beat with three valid scheduled TaskRuns: hourly session cleanup, daily report at midnight UTC, monthly report", () => {
    const schedules = Object.fromEntries(
      manifests.filter((m) => m.kind === "TaskRun").map((m) => [m.spec.task, m.spec] as const),
    );
    expect(Object.keys(schedules).sort()).toEqual([
      "email.cleanup_expired_sessions",
      "reports.generate_daily_report",
      "reports.generate_monthly_report",
    ]);
    expect(schedules["email.cleanup_expired_sessions"]?.schedule).toMatchObject({
      cron: "0 * * * *",
      timeZone: "UTC",
    });
    expect(schedules["reports.generate_daily_report"]?.schedule).toMatchObject({
      cron: "0 0 * * *",
      timeZone: "UTC",
    });
    expect(schedules["reports.generate_monthly_report"]).toMatchObject({
      input: {},
      schedule: { cron: "0 1 1 * *", timeZone: "UTC", concurrencyPolicy: "Forbid" },
    });
    for (const spec of Object.values(schedules))
      expect(taskRunSpec.safeParse(spec).error?.issues ?? []).toEqual([]);
  });

  it("bounds every queue's concurrency, rate-limits emails (SMTP quotas) and models (ECR quotas), and autoscales none without a Prometheus address", () => {
    const queues = Object.fromEntries(
      manifests.filter((m) => m.kind === "TaskQueue").map((m) => [m.metadata.name, m.spec] as const),
    );
    for (const [name, spec] of Object.entries(queues)) {
      expect(spec.concurrency.min, name).toBeLessThanOrEqual(spec.concurrency.max);
      expect(spec.autoscaling, name).toBeUndefined();
    }
    expect(queues.emails.rateLimit.perSecond).toBeGreaterThan(0);
    expect(queues.models.rateLimit.perSecond).toBeGreaterThan(0);
    expect(queues.models.concurrency.max).toBeLessThan(queues.emails.concurrency.max);
  });

  it("bundles a Redis whose password only its Secret holds, and renders no monitoring objects", () => {
    const redis = findManifest(manifests, "Deployment", "-redis").spec.template.spec;
    expect(redis.securityContext.runAsNonRoot).toBe(true);
    expect(redis.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    const secret = findManifest(manifests, "Secret", "-redis");
    expect(Buffer.from(secret.data["redis-password"], "base64").toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(redis.containers[0].env[0].valueFrom.secretKeyRef).toEqual({
      name: secret.metadata.name,
      key: "redis-password",
    });
    const env = operatorEnv(manifests);
    expect(env.OPERATOR_REDIS_PASSWORD_SECRET).toBe(`${secret.metadata.name}/redis-password`);
    expect(env.REDIS_URL).toBe(`redis://${secret.metadata.name}.tasks.svc:6379/0`);
    const kinds = new Set(manifests.map((m) => m.kind));
    for (const kind of ["ServiceMonitor", "PodMonitor", "PrometheusRule"])
      expect(kinds.has(kind)).toBe(false);
    expect(manifests.some((m) => m.kind === "ConfigMap" && m.metadata.labels?.grafana_dashboard)).toBe(false);
  });

  it("sizes the operator for its measured memory, and runs as many workers as the operator's default", () => {
    const report = JSON.parse(readFileSync(join(REPO_ROOT, "bench/results/latest.json"), "utf8")) as {
      scenarios: Array<{ rows: Array<{ processes: Array<{ label: string; peakRssMb: number }> }> }>;
    };
    const operatorPeaks = report.scenarios.flatMap((s) =>
      s.rows.flatMap((r) => r.processes.filter((p) => p.label === "operator").map((p) => p.peakRssMb)),
    );
    expect(operatorPeaks.length).toBeGreaterThan(0);
    const peakMiB = (Math.max(...operatorPeaks) * 1e6) / 2 ** 20;
    const mebibytes = (quantity: string) => Number(/^(\d+)Mi$/.exec(quantity)?.[1] ?? Number.NaN);
    const { resources } = operatorPodSpec(manifests).containers[0];
    expect(mebibytes(resources.requests.memory)).toBeGreaterThanOrEqual(peakMiB);
    expect(mebibytes(resources.limits.memory)).toBeGreaterThanOrEqual(1.5 * peakMiB);
    const defaults = operatorConfigSchema.parse({
      kube: {},
      runner: { redisUrl: "redis://r" },
      leaderElection: { identity: "x" },
      http: {},
    });
    expect(Number(operatorEnv(manifests).OPERATOR_WORKERS)).toBe(defaults.workers);
  });

  it("configures the operator to serve probes and metrics on the pod's port, not only on loopback", () => {
    const env = operatorEnv(manifests);
    expect(env.OPERATOR_HTTP_HOST).toBe("0.0.0.0");
    const [container] = operatorPodSpec(manifests).containers;
    expect(container.ports[0].containerPort).toBe(Number(env.OPERATOR_HTTP_PORT));
    expect(findManifest(manifests, "Service", "-operator-metrics").spec.ports[0].targetPort).toBe("http");
  });

  it("includes the CRDs from the chart's crds/ directory", () => {
    const crds = manifests.filter((m) => m.kind === "CustomResourceDefinition").map((m) => m.metadata.name);
    expect(crds.sort()).toEqual(["taskqueues.tasks.synthetiq.io", "taskruns.tasks.synthetiq.io"]);
  });
});

describe("helm template with production-like values", () => {
  const manifests = renderChart(productionValues);

  it("uses the external Redis and takes every credential from a Secret reference", () => {
    expect(manifests.some((m) => m.metadata.name.endsWith("-redis"))).toBe(false);
    expect(manifests.filter((m) => m.kind === "Secret")).toEqual([]);
    const env = operatorEnv(manifests);
    expect(env.REDIS_URL).toBe("rediss://redis.cache.svc:6380/2");
    expect(env.OPERATOR_REDIS_PASSWORD_SECRET).toBe("redis-auth/pw");
    expect(env.OPERATOR_RUNNER_ENV_AWS_REGION).toBe("eu-west-1");
    expect(env.OPERATOR_RUNNER_ENV_MAIL_FROM).toBe("CDP <ops@example.com>");
    expect(env.OPERATOR_RUNNER_ENV_ARTIFACTS_S3_BUCKET).toBe("cdp-artifacts");
    for (const queue of manifests.filter((m) => m.kind === "TaskQueue")) {
      const refs = Object.fromEntries(
        queue.spec.defaults.env.map((e: { name: string; valueFrom: { secretKeyRef: unknown } }) => [
          e.name,
          e.valueFrom.secretKeyRef,
        ]),
      );
      expect(refs).toEqual({
        SMTP_HOST: { name: "smtp-credentials", key: "host" },
        SMTP_PORT: { name: "smtp-credentials", key: "port" },
        SMTP_USER: { name: "smtp-credentials", key: "user" },
        SMTP_PASSWORD: { name: "smtp-credentials", key: "password" },
        DATABASE_URL: { name: "cdp-database", key: "dsn" },
        AWS_ACCESS_KEY_ID: { name: "aws-credentials", key: "access-key-id" },
        AWS_SECRET_ACCESS_KEY: { name: "aws-credentials", key: "secret-access-key" },
      });
      expect(taskQueueSpec.safeParse(queue.spec).error?.issues ?? []).toEqual([]);
    }
    const credential = /PASSWORD|SECRET_ACCESS|DATABASE_URL|ACCESS_KEY|SMTP_USER/;
    expect(
      Object.keys(env).filter((name) => credential.test(name) && name !== "OPERATOR_REDIS_PASSWORD_SECRET"),
    ).toEqual([]);
  });

  it("puts S3 in aws.region: the runners read it from the AWS_REGION the chart gives them", () => {
    const env = operatorEnv(manifests);
    const runnerEnv = Object.fromEntries(
      Object.entries(env)
        .filter(([name]) => name.startsWith("OPERATOR_RUNNER_ENV_"))
        .map(([name, value]) => [name.slice("OPERATOR_RUNNER_ENV_".length), value]),
    );
    expect(readRunnerConfig(runnerEnv).artifacts).toMatchObject({
      s3Bucket: "cdp-artifacts",
      s3Region: "eu-west-1",
    });
  });

  it("gives runner pods the image pull secrets, and their token when asked, through the runner ServiceAccount", () => {
    const withPullSecret = renderChart({
      imagePullSecrets: [{ name: "regcred" }],
      runner: { serviceAccount: { automountToken: true } },
    });
    const account = findManifest(withPullSecret, "ServiceAccount", "-runner");
    expect(account.imagePullSecrets).toEqual([{ name: "regcred" }]);
    expect(account.automountServiceAccountToken).toBe(true);
    // The operator is told, and stops setting false on its runner pods (the pod's setting wins over the account's).
    const env = operatorEnv(withPullSecret);
    expect(env.OPERATOR_RUNNER_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN).toBe("true");
    const config = configFromEnv({ ...env, OPERATOR_IDENTITY: "test" } as NodeJS.ProcessEnv);
    const run: TaskRun = {
      apiVersion: "tasks.synthetiq.io/v1alpha1",
      kind: "TaskRun",
      metadata: { name: "r", namespace: "tasks", uid: "u" },
      spec: { task: "testing.noop", input: {} },
    };
    const job = buildJob({
      run,
      attempt: 1,
      maxAttempts: 1,
      queue: "emails",
      timeouts: { hardSeconds: 60, softSeconds: undefined },
      image: config.runner.image,
      runner: config.runner,
    });
    // The pod leaves it to the account, whose automountServiceAccountToken is now true.
    expect(job.spec.template.spec).not.toHaveProperty("automountServiceAccountToken");
  });

  it("binds the operator's rights only in the watched namespaces (creating Jobs is running pods)", () => {
    const bindings = manifests.filter(
      (m) =>
        (m.kind === "RoleBinding" || m.kind === "ClusterRoleBinding") &&
        m.roleRef?.name?.endsWith("-operator"),
    );
    expect(bindings.map((b) => [b.kind, b.metadata.namespace]).sort()).toEqual([
      ["RoleBinding", "cdp"],
      ["RoleBinding", "tasks"],
    ]);
    // The default values watch every namespace: one ClusterRoleBinding.
    const everywhere = renderChart({}).filter(
      (m) =>
        (m.kind === "RoleBinding" || m.kind === "ClusterRoleBinding") &&
        m.roleRef?.name?.endsWith("-operator"),
    );
    expect(everywhere.map((b) => b.kind)).toEqual(["ClusterRoleBinding"]);
  });

  it("runs two operator replicas with leader election and the chosen image tag", () => {
    const deployment = findManifest(manifests, "Deployment", "-operator");
    expect(deployment.spec.replicas).toBe(2);
    const env = operatorEnv(manifests);
    expect(env.OPERATOR_LEADER_ELECTION).toBe("true");
    expect(env.OPERATOR_NAMESPACES).toBe("tasks,cdp");
    expect(deployment.spec.template.spec.containers[0].image).toBe("ghcr.io/synthetiq/tasks:1.2.3");
  });

  it("leaves out a queue set to null, adds a new one, and merges schedule overrides into the defaults", () => {
    const queues = manifests.filter((m) => m.kind === "TaskQueue").map((m) => m.metadata.name);
    expect(queues.sort()).toEqual(["bulk", "emails", "reports"]);
    const daily = findManifest(manifests, "TaskRun", "daily-report");
    expect(daily.spec.schedule).toMatchObject({ cron: "0 0 * * *", suspend: true });
  });

  it("renders the alert rules and the Grafana dashboard from the one copy in the repository", () => {
    const rules = findManifest(manifests, "PrometheusRule");
    const rulesFile = parseYaml(readFileSync(join(REPO_ROOT, "monitoring/prometheus/rules.yaml"), "utf8"));
    expect(rules.spec).toEqual(rulesFile);
    const dashboard = findManifest(manifests, "ConfigMap", "-dashboard");
    expect(dashboard.metadata.namespace).toBe("grafana");
    expect(dashboard.metadata.labels?.grafana_dashboard).toBe("1");
    const dashboardFile = JSON.parse(
      readFileSync(join(REPO_ROOT, "monitoring/grafana/synthetiq-tasks.json"), "utf8"),
    );
    expect(JSON.parse(dashboard.data["synthetiq-tasks.json"])).toEqual(dashboardFile);
    const serviceMonitor = findManifest(manifests, "ServiceMonitor");
    expect(serviceMonitor.metadata.labels?.release).toBe("kube-prometheus");
    expect(serviceMonitor.spec.endpoints[0].relabelings).toContainEqual({
      targetLabel: "job",
      replacement: "synthetiq-tasks-operator",
    });
    expect(findManifest(manifests, "PodMonitor").spec.podMetricsEndpoints[0].port).toBe("http");
  });
});

describe("the default autoscaling of the chart's queues", () => {
  const prometheusUrl = "http://prometheus-operated.monitoring.svc:9090";
  const queuesOf = (values: object) =>
    Object.fromEntries(
      renderChart(values)
        .filter((m) => m.kind === "TaskQueue")
        .map((m) => [m.metadata.name, m.spec] as const),
    );
  const chartValues = parseYaml(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as {
    autoscaling: { backlogPerSlot: Record<string, number> };
  };

  it("scales emails, models and reports on their own backlog per slot, with queries on metrics the operator registers", async () => {
    const queues = queuesOf({ autoscaling: { prometheusUrl } });
    const registered = new Set((await operatorMetrics()).map((m) => m.name));
    for (const name of ["emails", "models", "reports"]) {
      const spec = queues[name];
      expect(taskQueueSpec.safeParse(spec).error?.issues ?? [], name).toEqual([]);
      expect(spec.autoscaling).toMatchObject({
        prometheusUrl,
        pollingSeconds: 15,
        scaleDownStabilizationSeconds: 300,
      });
      const [metric, ...others] = spec.autoscaling.metrics;
      expect(others).toEqual([]);
      expect(metric).toEqual({
        query: `sum(synthetiq_queue_pending_jobs{queue="${name}"})`,
        targetType: "AverageValue",
        target: chartValues.autoscaling.backlogPerSlot[name],
      });
      for (const selector of selectedMetrics(metric.query))
        expect("name" in selector && registered.has(selector.name), metric.query).toBe(true);
    }
    expect(queues.emails.autoscaling.metrics[0].target).toBeGreaterThan(
      queues.models.autoscaling.metrics[0].target,
    );
  });

  it("leaves alone a queue that sets its own autoscaling, one set to null in backlogPerSlot, and a queue not listed", () => {
    const own = {
      prometheusUrl: "http://other:9090",
      metrics: [{ query: "sum(rate(smtp_sent_total[1m]))", targetType: "Value", target: 5 }],
    };
    const queues = queuesOf({
      autoscaling: { prometheusUrl, backlogPerSlot: { models: null, bulk: 3 }, pollingSeconds: 5 },
      queues: {
        emails: { autoscaling: own },
        bulk: { concurrency: { min: 0, max: 3 } },
        adhoc: { rateLimit: { perSecond: 1 } },
      },
    });
    expect(queues.emails.autoscaling).toEqual(own);
    expect(queues.models.autoscaling).toBeUndefined();
    expect(queues.reports.autoscaling.pollingSeconds).toBe(5);
    expect(queues.bulk.autoscaling.metrics[0]).toMatchObject({
      query: 'sum(synthetiq_queue_pending_jobs{queue="bulk"})',
      target: 3,
    });
    // Without concurrency bounds there is nothing to scale.
    expect(queues.adhoc.autoscaling).toBeUndefined();
    for (const [name, spec] of Object.entries(queues))
      expect(taskQueueSpec.safeParse(spec).error?.issues ?? [], name).toEqual([]);
  });
});

describe("the HTTP API", () => {
  const apiPod = (manifests: Manifest[]) =>
    findManifest(manifests, "Deployment", "-http-api").spec.template.spec;
  const apiEnv = (manifests: Manifest[]) =>
    Object.fromEntries(
      apiPod(manifests).containers[0].env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
        e.name,
        e.value ?? e.valueFrom,
      ]),
    );
  /** Every rule granted to a ServiceAccount, with the namespace of the binding (undefined: cluster-wide). */
  function rulesOf(manifests: Manifest[], account: string) {
    const bindings = manifests.filter(
      (m) =>
        (m.kind === "RoleBinding" || m.kind === "ClusterRoleBinding") &&
        m.subjects.some(
          (s: { kind: string; name: string }) => s.kind === "ServiceAccount" && s.name === account,
        ),
    );
    return bindings.flatMap((binding) => {
      const role = findManifest(manifests, binding.roleRef.kind, binding.roleRef.name);
      return role.rules.flatMap((rule: { apiGroups: string[]; resources: string[]; verbs: string[] }) =>
        rule.resources.map((resource) => ({
          scope: binding.kind === "RoleBinding" ? binding.metadata.namespace : "cluster",
          resource: `${resource}.${rule.apiGroups[0]}`,
          verbs: [...rule.verbs].sort().join(","),
        })),
      );
    });
  }
  const defaults = renderChart();

  it("runs `node dist/http-api.js` in its own Deployment, restricted, behind a Service", () => {
    const pod = apiPod(defaults);
    const [container] = pod.containers;
    expect(container.command).toEqual(["node", entryPath("http-api")]);
    expect(container.image).toBe(operatorPodSpec(defaults).containers[0].image);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"])
      expect(container[probe].httpGet).toEqual({ path: "/healthz", port: "http" });
    const env = apiEnv(defaults);
    expect(env.HTTP_API_HOST).toBe("0.0.0.0");
    expect(Number(env.HTTP_API_PORT)).toBe(container.ports[0].containerPort);
    const service = findManifest(defaults, "Service", "-http-api");
    expect(service.spec.ports[0]).toMatchObject({ port: 8081, targetPort: "http" });
    const labels = findManifest(defaults, "Deployment", "-http-api").spec.template.metadata.labels;
    expect(labels).toMatchObject(service.spec.selector);
    expect(findManifest(defaults, "Deployment", "-operator").spec.template.metadata.labels).not.toMatchObject(
      service.spec.selector,
    );
  });

  it("takes its limits and namespace from values, and the Redis password only by Secret reference", () => {
    const env = apiEnv(defaults);
    expect(env).toMatchObject({
      HTTP_API_DEFAULT_NAMESPACE: "tasks",
      HTTP_API_BODY_LIMIT_BYTES: "262144",
      HTTP_API_RATE_PER_SECOND: "20",
      HTTP_API_RATE_BURST: "40",
      HTTP_API_AUTH_FAILURES_PER_SECOND: "1",
      HTTP_API_AUTH_FAILURES_BURST: "10",
    });
    // What the API reads from them (its own config schema).
    const plain = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string"));
    expect(taskApiConfigFromEnv(plain)).toMatchObject({ authFailuresPerSecond: 1, authFailuresBurst: 10 });
    const redisSecret = findManifest(defaults, "Secret", "-redis").metadata.name;
    expect(env.REDIS_URL).toBe(operatorEnv(defaults).REDIS_URL);
    expect(env.REDIS_PASSWORD).toEqual({ secretKeyRef: { name: redisSecret, key: "redis-password" } });
    const custom = apiEnv(
      renderChart({
        operator: { watchNamespaces: ["cdp", "tasks"] },
        httpApi: {
          port: 9090,
          bodyLimitBytes: 65_536,
          rateLimit: { perSecond: 2.5, burst: 5 },
          authFailures: { perSecond: 0, burst: 1 },
        },
      }),
    );
    expect(custom).toMatchObject({
      HTTP_API_PORT: "9090",
      // The release namespace, where the chart's queues are, when the operator watches it.
      HTTP_API_DEFAULT_NAMESPACE: "tasks",
      HTTP_API_BODY_LIMIT_BYTES: "65536",
      HTTP_API_RATE_PER_SECOND: "2.5",
      HTTP_API_RATE_BURST: "5",
      HTTP_API_AUTH_FAILURES_PER_SECOND: "0",
    });
    const external = apiEnv(renderChart(productionValues));
    expect(external.REDIS_URL).toBe("rediss://redis.cache.svc:6380/2");
    expect(external.REDIS_PASSWORD).toEqual({ secretKeyRef: { name: "redis-auth", key: "pw" } });
  });

  it("has its own ServiceAccount with only token/access reviews and taskruns create/get/list/watch/patch", () => {
    const account = findManifest(defaults, "ServiceAccount", "-http-api").metadata.name;
    expect(apiPod(defaults).serviceAccountName).toBe(account);
    expect(account).not.toBe(operatorPodSpec(defaults).serviceAccountName);
    expect(rulesOf(defaults, account)).toEqual(
      expect.arrayContaining([
        { scope: "cluster", resource: "tokenreviews.authentication.k8s.io", verbs: "create" },
        { scope: "cluster", resource: "subjectaccessreviews.authorization.k8s.io", verbs: "create" },
        { scope: "cluster", resource: "taskruns.tasks.synthetiq.io", verbs: "create,get,list,patch,watch" },
      ]),
    );
    expect(rulesOf(defaults, account)).toHaveLength(3);
    // The operator does not serve the API, so it does not hold the review rights.
    const operatorResources = rulesOf(defaults, operatorPodSpec(defaults).serviceAccountName).map(
      (r) => r.resource,
    );
    expect(operatorResources).not.toContain("tokenreviews.authentication.k8s.io");
    expect(operatorResources).not.toContain("subjectaccessreviews.authorization.k8s.io");
  });

  it("is granted taskruns only in the watched namespaces when the operator watches some", () => {
    const scoped = renderChart(productionValues);
    const account = findManifest(scoped, "ServiceAccount", "-http-api").metadata.name;
    const taskRunRules = rulesOf(scoped, account).filter((r) => r.resource.startsWith("taskruns."));
    expect(taskRunRules.map((r) => r.scope).sort()).toEqual(["cdp", "tasks"]);
  });

  it("is left out entirely with httpApi.enabled=false", () => {
    const without = renderChart({ httpApi: { enabled: false } });
    expect(without.filter((m) => m.metadata.name.includes("http-api"))).toEqual([]);
  });
});

describe("artifacts without S3", () => {
  const claimOf = (manifests: Manifest[]) =>
    manifests.filter((m) => m.kind === "PersistentVolumeClaim" && m.metadata.name.endsWith("-artifacts"));

  it("creates a kept claim by default and gives its name to the operator, which mounts it in runner pods", () => {
    const manifests = renderChart();
    const [claim, ...others] = claimOf(manifests);
    expect(others).toEqual([]);
    expect(claim?.metadata.annotations).toMatchObject({ "helm.sh/resource-policy": "keep" });
    expect(claim?.spec).toMatchObject({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "10Gi" } },
    });
    expect(operatorEnv(manifests).OPERATOR_ARTIFACTS_PVC).toBe(claim?.metadata.name);
  });

  it("uses an existing claim as is, and no claim with an S3 bucket or persistence off", () => {
    const existing = renderChart({
      artifacts: { persistence: { existingClaim: "shared-artifacts", storageClassName: "efs" } },
    });
    expect(claimOf(existing)).toEqual([]);
    expect(operatorEnv(existing).OPERATOR_ARTIFACTS_PVC).toBe("shared-artifacts");
    for (const values of [productionValues, { artifacts: { persistence: { enabled: false } } }]) {
      const manifests = renderChart(values);
      expect(claimOf(manifests)).toEqual([]);
      expect(operatorEnv(manifests)).not.toHaveProperty("OPERATOR_ARTIFACTS_PVC");
    }
    const classed = claimOf(
      renderChart({ artifacts: { persistence: { storageClassName: "fast", size: "50Gi" } } }),
    );
    expect(classed[0]?.spec).toMatchObject({
      storageClassName: "fast",
      resources: { requests: { storage: "50Gi" } },
    });
  });
});

describe("queues in other namespaces (taskNamespaces)", () => {
  const manifests = renderChart({ taskNamespaces: ["cdp", "marketing"] });
  const inNamespace = (kind: string, namespace: string) =>
    manifests.filter((m) => m.kind === kind && m.metadata.namespace === namespace);

  it("renders the same valid TaskQueues and the runner ServiceAccount they name into each listed namespace", () => {
    const release = inNamespace("TaskQueue", "tasks");
    expect(release.map((q) => q.metadata.name).sort()).toEqual(["emails", "models", "reports"]);
    for (const namespace of ["cdp", "marketing"]) {
      const queues = inNamespace("TaskQueue", namespace);
      expect(queues.map((q) => q.spec)).toEqual(release.map((q) => q.spec));
      const [account] = inNamespace("ServiceAccount", namespace);
      expect(account?.metadata.name).toBe(release[0]?.spec.defaults.pod.serviceAccountName);
      expect(account?.automountServiceAccountToken).toBe(false);
      // Secrets are the user's to create there: the chart copies none.
      expect(inNamespace("Secret", namespace)).toEqual([]);
    }
  });

  it("renders the release namespace once when it is listed too, and nothing extra by default", () => {
    const listed = renderChart({ taskNamespaces: ["tasks"] });
    expect(listed.filter((m) => m.kind === "TaskQueue")).toHaveLength(3);
    expect(renderChart().filter((m) => m.kind === "TaskQueue")).toHaveLength(3);
  });

  it("fails naming a namespace the operator does not watch", () => {
    const result = renderChartRaw({ taskNamespaces: ["cdp"], operator: { watchNamespaces: ["tasks"] } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('taskNamespaces: "cdp" is not in operator.watchNamespaces');
    expect(
      renderChartRaw({ taskNamespaces: ["cdp"], operator: { watchNamespaces: ["tasks", "cdp"] } }).status,
    ).toBe(0);
  });

  it("fails when the HTTP API's default namespace is one the operator does not watch", () => {
    const watched = { operator: { watchNamespaces: ["tasks", "cdp"] } };
    const result = renderChartRaw({ ...watched, httpApi: { defaultNamespace: "marketing" } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'httpApi.defaultNamespace: "marketing" is not in operator.watchNamespaces',
    );
    expect(renderChartRaw({ ...watched, httpApi: { defaultNamespace: "cdp" } }).status).toBe(0);
    // Watching every namespace (the default), any default namespace is handled.
    expect(renderChartRaw({ httpApi: { defaultNamespace: "marketing" } }).status).toBe(0);
  });
});

describe("wrong values", () => {
  it.each([
    ["a string for a number", { operator: { replicas: "two" } }, "/operator/replicas", "want integer"],
    ["a misspelt key", { operator: { replica: 2 } }, "/operator", "'replica' not allowed"],
    ["external Redis without a URL", { redis: { bundled: { enabled: false } } }, "/redis/url", "minLength"],
    ["a password in the Redis URL's place", { redis: { url: "hunter2" } }, "/redis/url", "does not match"],
    [
      "a password inside the Redis URL (it would be a plain env value in every pod)",
      { redis: { bundled: { enabled: false }, url: "redis://:hunter2@redis.cache:6379/0" } },
      "/redis/url",
      "does not match",
    ],
    [
      "two replicas without leader election",
      { operator: { replicas: 2, leaderElection: { enabled: false } } },
      "/operator/replicas",
      "maximum",
    ],
    [
      "a Secret name that is not a DNS name",
      { smtp: { existingSecret: { name: "SMTP_Creds" } } },
      "/smtp/existingSecret/name",
      "",
    ],
    [
      "a schedule without a cron",
      { schedules: { nightly: { task: "reports.x", schedule: {} } } },
      "/schedules/nightly/schedule",
      "cron",
    ],
    ["a privileged port for the HTTP API", { httpApi: { port: 80 } }, "/httpApi/port", "minimum"],
    [
      "a zero rate limit for the HTTP API",
      { httpApi: { rateLimit: { perSecond: 0 } } },
      "/httpApi/rateLimit/perSecond",
      "exclusiveMinimum",
    ],
    [
      "a Prometheus address that is not a URL",
      { autoscaling: { prometheusUrl: "prometheus:9090" } },
      "/autoscaling/prometheusUrl",
      "does not match",
    ],
    [
      "a zero backlog per slot",
      { autoscaling: { backlogPerSlot: { emails: 0 } } },
      "/autoscaling/backlogPerSlot/emails",
      "exclusiveMinimum",
    ],
    [
      "a zero rate limit for a queue",
      { queues: { emails: { rateLimit: { perSecond: 0 } } } },
      "/queues/emails/rateLimit/perSecond",
      "exclusiveMinimum",
    ],
    [
      "an artifacts size that is not a quantity",
      { artifacts: { persistence: { size: "ten gigs" } } },
      "/artifacts/persistence/size",
      "does not match",
    ],
    ["a task namespace that is not a DNS label", { taskNamespaces: ["CDP_Prod"] }, "/taskNamespaces/0", ""],
    [
      "a pull policy that does not exist",
      { image: { pullPolicy: "Sometimes" } },
      "/image/pullPolicy",
      "must be one of",
    ],
  ])("%s fails with a message naming the field", (_, values, field, detail) => {
    const result = renderChartRaw(values);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(`at '${field}'`);
    expect(result.stderr).toContain(detail);
  });

  it("a ServiceMonitor without the metrics Service it scrapes fails with the reason", () => {
    const result = renderChartRaw({
      metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("metrics.serviceMonitor.enabled needs metrics.service.enabled=true");
  });
});
