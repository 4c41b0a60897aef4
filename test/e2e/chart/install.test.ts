// `helm install` of the chart into the local cluster, in a namespace that enforces the restricted
// Pod Security Standard: the operator runs as a pod on the process node, TaskRuns applied with
// kubectl complete through it (one through a chart queue's Secret references to a real SMTP
// server), its metrics feed every dashboard panel, and `helm uninstall` leaves only what
// docs/helm.md says it leaves.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cluster/layout.ts";
import { CHART_DIR } from "../../harness/helm.ts";
import { freePort, waitFor } from "../../harness/processes.ts";
import { type RunningPrometheus, startPrometheus } from "../../harness/prometheus.ts";
import { type RunningService, startRedis } from "../../harness/services.ts";
import { type SmtpSink, startSmtpSink } from "../../harness/smtp.ts";
import { createRestrictedNamespace, deleteNamespace, helmOnCluster, kubectl, kubectlOk } from "./kube.ts";

const RELEASE = "tasks";
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;

interface KubeObject {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string }>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: objects read from kubectl are inspected field by field
  [field: string]: any;
}

function getJson(args: string[]): KubeObject[] {
  return (JSON.parse(kubectlOk([...args, "-o", "json"])) as { items: KubeObject[] }).items;
}

/** Every object of every listable namespaced type in `namespace`, as `Kind/name`. */
function everythingIn(namespace: string): string[] {
  const types = kubectlOk(["api-resources", "--verbs=list", "--namespaced", "-o", "name"])
    .split("\n")
    .filter((t) => t && t !== "events" && t !== "events.events.k8s.io");
  return getJson(["get", types.join(","), "-n", namespace]).map((o) => `${o.kind}/${o.metadata.name}`);
}

function taskRun(name: string, task: string, input: object) {
  return JSON.stringify({
    apiVersion: "tasks.synthetiq.io/v1alpha1",
    kind: "TaskRun",
    metadata: { name },
    spec: { task, input },
  });
}

function waitSucceeded(namespace: string, name: string) {
  const wait = kubectl([
    "wait",
    "-n",
    namespace,
    "--for=condition=Succeeded",
    "--timeout=150s",
    `taskrun/${name}`,
  ]);
  if (wait.status !== 0) {
    const state = kubectl(["get", "taskrun", name, "-n", namespace, "-o", "yaml"]).stdout;
    throw new Error(`taskrun/${name} did not succeed: ${wait.stderr}\n${state}`);
  }
}

describe("helm install into the local cluster", () => {
  let namespace: string;
  let redis: RunningService;
  let smtp: SmtpSink;
  let prometheus: RunningPrometheus | undefined;
  let httpPort: number;
  let installed = false;
  const redisPassword = randomBytes(12).toString("hex");

  beforeAll(async () => {
    [redis, smtp, httpPort] = await Promise.all([
      startRedis({ password: redisPassword }),
      startSmtpSink(),
      freePort(),
    ]);
    namespace = createRestrictedNamespace("chart-install");
    kubectlOk([
      "create",
      "secret",
      "generic",
      "redis-auth",
      "-n",
      namespace,
      `--from-literal=redis-password=${redisPassword}`,
    ]);
    kubectlOk([
      "create",
      "secret",
      "generic",
      "smtp",
      "-n",
      namespace,
      `--from-literal=host=${smtp.host}`,
      `--from-literal=port=${smtp.port}`,
    ]);
    const redisUrl = redis.url.replace(/\/\/:[^@]*@/, "//");
    const result = helmOnCluster(
      ["install", RELEASE, CHART_DIR, "--namespace", namespace, "--wait", "--timeout", "240s"],
      {
        // Pods on the process node share the host's network: external Redis on loopback, a free port.
        redis: { bundled: { enabled: false }, url: redisUrl, existingSecret: { name: "redis-auth" } },
        smtp: {
          existingSecret: { name: "smtp", userKey: "", passwordKey: "" },
          from: "CDP <cdp@example.com>",
        },
        operator: { httpPort, extraEnv: [{ name: "RUNNER_ENABLE_TEST_TASKS", value: "1" }] },
        runner: { extraEnv: { RUNNER_ENABLE_TEST_TASKS: "1" } },
        queues: { testing: { concurrency: { min: 1, max: 2 } } },
        // The schedules are installed (and their CronJobs checked) but must not fire during the test.
        schedules: {
          "cleanup-expired-sessions": { schedule: { suspend: true } },
          "daily-report": { schedule: { suspend: true } },
        },
      },
    );
    if (result.status !== 0) {
      const pods = kubectl(["get", "pods", "-n", namespace, "-o", "wide"]).stdout;
      throw new Error(`helm install failed: ${result.stderr}\n${pods}`);
    }
    installed = true;
  });

  afterAll(async () => {
    if (installed) helmOnCluster(["uninstall", RELEASE, "--namespace", namespace, "--wait"]);
    if (namespace) deleteNamespace(namespace);
    await Promise.all([redis?.stop(), smtp?.stop(), prometheus?.stop()]);
  });

  it("runs the operator as a ready pod on the process node, admitted under the restricted standard", () => {
    const [pod, ...others] = getJson([
      "get",
      "pods",
      "-n",
      namespace,
      "-l",
      "app.kubernetes.io/component=operator",
    ]);
    expect(others).toEqual([]);
    expect(pod?.status.phase).toBe("Running");
    expect(pod?.status.conditions.find((c: { type: string }) => c.type === "Ready")?.status).toBe("True");
    expect(pod?.spec.nodeName).toBe(kubectlOk(["get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"]));
    expect(pod?.spec.serviceAccountName).toBe(`${RELEASE}-synthetiq-tasks-operator`);
    const ns = getJson(["get", "namespace", namespace, "--field-selector", `metadata.name=${namespace}`])[0];
    expect(ns?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("completes a TaskRun applied with kubectl, in a runner pod that is restricted and has no API token", async () => {
    kubectlOk(["apply", "-n", namespace, "-f", "-"], taskRun("noop-1", "testing.noop", {}));
    waitSucceeded(namespace, "noop-1");
    const [run] = getJson(["get", "taskrun", "-n", namespace, "--field-selector", "metadata.name=noop-1"]);
    expect(run?.status.phase).toBe("Succeeded");
    const [runnerPod] = getJson(["get", "pods", "-n", namespace, "-l", "tasks.synthetiq.io/taskrun=noop-1"]);
    expect(runnerPod?.spec.automountServiceAccountToken).toBe(false);
    expect(runnerPod?.spec.securityContext.runAsNonRoot).toBe(true);
    expect(runnerPod?.status.phase).toBe("Succeeded");
    // The result record is in the Redis the chart pointed at, written with the password from the Secret.
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const record = await client.get(run?.status.resultRef);
      expect(JSON.parse(record ?? "{}").status).toBe("succeeded");
    } finally {
      client.disconnect();
    }
  });

  it("sends a welcome email through the emails queue, the SMTP settings coming from the Secret reference", async () => {
    kubectlOk(
      ["apply", "-n", namespace, "-f", "-"],
      taskRun("welcome-1", "email.send_welcome_email", { email: "ada@example.com", name: "Ada" }),
    );
    waitSucceeded(namespace, "welcome-1");
    const [mail] = await smtp.waitForMails(1, 30_000);
    expect(mail?.envelope.to).toEqual(["ada@example.com"]);
    expect(mail?.parsed.from?.text).toContain("cdp@example.com");
  });

  it("turns the default schedules into CronJobs owned by their TaskRuns", () => {
    const cronJobs = getJson(["get", "cronjobs", "-n", namespace]);
    const owners = cronJobs
      .map((c) => c.metadata.ownerReferences?.find((o) => o.kind === "TaskRun")?.name)
      .sort();
    expect(owners).toEqual(["cleanup-expired-sessions", "daily-report"]);
    const schedules = Object.fromEntries(
      cronJobs.map((c) => [c.metadata.ownerReferences?.[0]?.name, c.spec]),
    );
    expect(schedules["cleanup-expired-sessions"]).toMatchObject({ schedule: "0 * * * *", timeZone: "UTC" });
    expect(schedules["daily-report"]).toMatchObject({ schedule: "0 0 * * *", timeZone: "UTC" });
  });

  it("feeds every dashboard panel from the installed operator's metrics", async () => {
    prometheus = await startPrometheus({
      jobs: [{ job: "synthetiq-tasks-operator", targets: [`127.0.0.1:${httpPort}`] }],
    });
    const p = prometheus;
    await waitFor("the operator scraped", async () => {
      const up = await p.query('up{job="synthetiq-tasks-operator"} == 1');
      return (up.data?.result.length ?? 0) > 0;
    });
    const dashboard = JSON.parse(
      readFileSync(join(REPO_ROOT, "monitoring/grafana/synthetiq-tasks.json"), "utf8"),
    ) as {
      panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
    };
    const empty: string[] = [];
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      const results = await Promise.all(
        (panel.targets ?? []).map((t) =>
          p.query(t.expr.replaceAll("$__rate_interval", "5m").replaceAll("$queue", ".*")),
        ),
      );
      if (!results.some((r) => (r.data?.result.length ?? 0) > 0)) empty.push(panel.title);
    }
    expect(empty).toEqual([]);
  });

  it("helm uninstall removes everything it installed; the CRDs, your own TaskRuns and the operator's Lease stay", async () => {
    const before = new Set(everythingIn(namespace));
    const result = helmOnCluster([
      "uninstall",
      RELEASE,
      "--namespace",
      namespace,
      "--wait",
      "--timeout",
      "120s",
    ]);
    expect(result.stderr).toBe("");
    installed = false;
    // Owned objects (CronJobs of the schedules, pods of the operator) go through the garbage collector.
    const chartLeft = () =>
      everythingIn(namespace).filter(
        (o) =>
          /CronJob\/|TaskQueue\/|Deployment\/|ReplicaSet\/|synthetiq-tasks/.test(o) &&
          !o.startsWith("Lease/"),
      );
    await waitFor("the chart's objects to be gone", async () => chartLeft().length === 0, 60_000).catch(
      () => {},
    );
    expect(chartLeft()).toEqual([]);
    const left = everythingIn(namespace).sort();
    const expected = [
      "ConfigMap/kube-root-ca.crt",
      "Lease/tasks-synthetiq-tasks-operator",
      "Secret/redis-auth",
      "Secret/smtp",
      "ServiceAccount/default",
      "TaskRun/noop-1",
      "TaskRun/welcome-1",
    ];
    const runnerLeftovers = left.filter((o) => !expected.includes(o));
    // What may stay besides: the Jobs and pods of the two TaskRuns we created (owned by them).
    for (const o of runnerLeftovers) expect(o).toMatch(/^(Job|Pod)\/(noop-1|welcome-1)/);
    for (const o of expected) if (before.has(o)) expect(left).toContain(o);
    expect(getJson(["get", "clusterroles,clusterrolebindings", "-l", INSTANCE])).toEqual([]);
    expect(kubectlOk(["get", "crd", "taskruns.tasks.synthetiq.io", "-o", "name"]).trim()).toBe(
      "customresourcedefinition.apiextensions.k8s.io/taskruns.tasks.synthetiq.io",
    );
  });
});
