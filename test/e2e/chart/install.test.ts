// `helm install` of the chart into the local cluster, in a namespace that enforces the restricted
// Pod Security Standard: the operator runs as a pod on the process node, TaskRuns applied with
// kubectl complete through it and through the chart's queues (one through a queue's Secret
// references to a real SMTP server), a queue scales on its backlog from the chart's default
// autoscaling and a real Prometheus, the HTTP API answers callers from its own pod under its own
// RBAC, the operator's metrics feed every dashboard panel, and `helm uninstall` leaves only what
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
import {
  createRestrictedNamespace,
  deleteNamespace,
  helmOnCluster,
  kubectl,
  kubectlAsync,
  kubectlOk,
} from "./kube.ts";

const RELEASE = "tasks";
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;

interface KubeObject {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
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

/** Names of the TaskRuns the tests create (they outlive helm uninstall, as documented). */
const created = new Set<string>();

function taskRun(name: string, task: string, input: object, spec: object = {}) {
  created.add(name);
  return JSON.stringify({
    apiVersion: "tasks.synthetiq.io/v1alpha1",
    kind: "TaskRun",
    metadata: { name },
    spec: { task, input, ...spec },
  });
}

/** Waits for a TaskRun's phase, or fails showing the TaskRun as it is. Asynchronous: the SMTP sink
 * in this process must keep answering while a runner talks to it. */
async function waitForPhase(namespace: string, name: string, phase: string) {
  const wait = await kubectlAsync([
    "wait",
    "-n",
    namespace,
    `--for=jsonpath={.status.phase}=${phase}`,
    "--timeout=90s",
    `taskrun/${name}`,
  ]);
  if (wait.status !== 0) {
    const state = kubectl(["get", "taskrun", name, "-n", namespace, "-o", "yaml"]).stdout;
    throw new Error(`taskrun/${name} did not reach ${phase}: ${wait.stderr}\n${state}`);
  }
}

describe("helm install into the local cluster", () => {
  let namespace: string;
  let redis: RunningService;
  let smtp: SmtpSink;
  let prometheus: RunningPrometheus | undefined;
  let httpPort: number;
  let apiPort: number;
  let installed = false;
  let installOutput = "";
  const redisPassword = randomBytes(12).toString("hex");

  beforeAll(async () => {
    [redis, smtp, httpPort, apiPort] = await Promise.all([
      startRedis({ password: redisPassword }),
      startSmtpSink(),
      freePort(),
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
    // Prometheus scrapes the operator pod from before the first TaskRun, as the ServiceMonitor would,
    // and is the address of the chart queues' default autoscaling.
    prometheus = await startPrometheus({
      jobs: [{ job: "synthetiq-tasks-operator", targets: [`127.0.0.1:${httpPort}`] }],
    });
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
        // Scoped to its namespace: other operators (other tests) may share the cluster.
        operator: {
          httpPort,
          watchNamespaces: [namespace],
          extraEnv: [{ name: "RUNNER_ENABLE_TEST_TASKS", value: "1" }],
        },
        runner: { extraEnv: { RUNNER_ENABLE_TEST_TASKS: "1" } },
        httpApi: { port: apiPort, extraEnv: [{ name: "RUNNER_ENABLE_TEST_TASKS", value: "1" }] },
        queues: { testing: { concurrency: { min: 1, max: 2 } } },
        // The process node has no volume provisioner: no artifacts claim (the tests write no artifacts).
        artifacts: { persistence: { enabled: false } },
        // Evaluated every 2 s instead of 15 s so that scaling shows within the test.
        autoscaling: { prometheusUrl: prometheus.url, pollingSeconds: 2 },
        // The schedules are installed (and their CronJobs checked) but must not fire during the test.
        schedules: {
          "cleanup-expired-sessions": { schedule: { suspend: true } },
          "daily-report": { schedule: { suspend: true } },
          "monthly-report": { schedule: { suspend: true } },
        },
      },
    );
    if (result.status !== 0) {
      const pods = kubectl(["get", "pods", "-n", namespace, "-o", "wide"]).stdout;
      throw new Error(`helm install failed: ${result.stderr}\n${pods}`);
    }
    installed = true;
    installOutput = result.stdout;
  });

  const apply = (manifest: string) => kubectlOk(["apply", "-n", namespace, "-f", "-"], manifest);
  const jobsOf = (run: string) =>
    getJson(["get", "jobs", "-n", namespace, "-l", `tasks.synthetiq.io/taskrun=${run}`]);

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
    const ns = JSON.parse(kubectlOk(["get", "namespace", namespace, "-o", "json"])) as KubeObject;
    expect(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    // NOTES.txt tells the user what to run next, with this release's names.
    expect(installOutput).toContain(
      `kubectl -n ${namespace} rollout status deployment/${RELEASE}-synthetiq-tasks-operator`,
    );
  });

  it("completes a TaskRun applied with kubectl, in a runner pod that is restricted and has no API token", async () => {
    apply(taskRun("noop-1", "testing.noop", {}));
    await waitForPhase(namespace, "noop-1", "Succeeded");
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

  it("serves the HTTP API from its own pod: the caller's token and Role decide, and a submitted task's result comes back", async () => {
    const [pod] = getJson(["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/component=http-api"]);
    expect(pod?.spec.serviceAccountName).toBe(`${RELEASE}-synthetiq-tasks-http-api`);
    expect(pod?.status.conditions.find((c: { type: string }) => c.type === "Ready")?.status).toBe("True");
    const api = `http://127.0.0.1:${apiPort}`;
    const caller = "api-caller";
    kubectlOk(["create", "serviceaccount", caller, "-n", namespace]);
    kubectlOk([
      "create",
      "role",
      caller,
      "-n",
      namespace,
      "--verb=create,get",
      "--resource=taskruns.tasks.synthetiq.io",
    ]);
    kubectlOk([
      "create",
      "rolebinding",
      caller,
      "-n",
      namespace,
      `--role=${caller}`,
      `--serviceaccount=${namespace}:${caller}`,
    ]);
    try {
      const token = kubectlOk(["create", "token", caller, "-n", namespace]).trim();
      const outsider = kubectlOk(["create", "token", "default", "-n", namespace]).trim();
      const submit = (bearer?: string) =>
        fetch(`${api}/v1/tasks/testing.noop`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          },
          body: JSON.stringify({ input: {} }),
        });
      expect((await submit()).status).toBe(401);
      expect((await submit(outsider)).status).toBe(403);
      const submitted = await submit(token);
      const body = (await submitted.json()) as { namespace: string; name: string };
      expect(submitted.status, JSON.stringify(body)).toBe(201);
      created.add(body.name);
      // No namespace in the request: the API's default is the watched namespace.
      expect(body.namespace).toBe(namespace);
      const answer = await fetch(`${api}/v1/taskruns/${namespace}/${body.name}?wait=60`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answer.status).toBe(200);
      // The result came from the Redis the chart pointed the API at, with the password from the Secret.
      expect(((await answer.json()) as { result: unknown }).result).toMatchObject({
        status: "succeeded",
        output: { ok: true },
      });
      const [run] = getJson([
        "get",
        "taskrun",
        "-n",
        namespace,
        "--field-selector",
        `metadata.name=${body.name}`,
      ]);
      expect(run?.metadata.annotations?.["tasks.synthetiq.io/submitted-by"]).toBe(
        `system:serviceaccount:${namespace}:${caller}`,
      );
      const logs = kubectlOk(["logs", "-n", namespace, `deployment/${RELEASE}-synthetiq-tasks-http-api`]);
      expect(logs).toContain('"message":"listening"');
    } finally {
      kubectl(["delete", "rolebinding,role,serviceaccount", caller, "-n", namespace]);
    }
  });

  it("sends a welcome email through the emails queue, the SMTP settings coming from the Secret reference", async () => {
    apply(taskRun("welcome-1", "email.send_welcome_email", { email: "ada@example.com", name: "Ada" }));
    // The SMTP Secret references travel in the chart queue's spec.defaults.env; the operator copies
    // them into the Job as references, never as values.
    await waitFor("the Job of welcome-1", async () => jobsOf("welcome-1").length > 0, 30_000);
    const [job] = jobsOf("welcome-1");
    expect(job?.metadata.labels?.["tasks.synthetiq.io/queue"]).toBe("emails");
    const env: Array<{ name: string; value?: string; valueFrom?: unknown }> =
      job?.spec.template.spec.containers[0].env ?? [];
    expect(env.find((e) => e.name === "SMTP_HOST")?.valueFrom).toEqual({
      secretKeyRef: { name: "smtp", key: "host" },
    });
    expect(env.find((e) => e.name === "SMTP_PORT")?.valueFrom).toEqual({
      secretKeyRef: { name: "smtp", key: "port" },
    });
    expect(env.filter((e) => e.value === smtp.host || e.value === String(smtp.port))).toEqual([]);
    await waitForPhase(namespace, "welcome-1", "Succeeded");
    const [mail] = await smtp.waitForMails(1, 30_000);
    expect(mail?.envelope.to).toEqual(["ada@example.com"]);
    expect(mail?.parsed.from?.text).toContain("cdp@example.com");
  });

  it("turns the default schedules into CronJobs owned by their TaskRuns", () => {
    const cronJobs = getJson(["get", "cronjobs", "-n", namespace]);
    const owners = cronJobs
      .map((c) => c.metadata.ownerReferences?.find((o) => o.kind === "TaskRun")?.name)
      .sort();
    expect(owners).toEqual(["cleanup-expired-sessions", "daily-report", "monthly-report"]);
    const schedules = Object.fromEntries(
      cronJobs.map((c) => [c.metadata.ownerReferences?.[0]?.name, c.spec]),
    );
    expect(schedules["cleanup-expired-sessions"]).toMatchObject({ schedule: "0 * * * *", timeZone: "UTC" });
    expect(schedules["daily-report"]).toMatchObject({ schedule: "0 0 * * *", timeZone: "UTC" });
    expect(schedules["monthly-report"]).toMatchObject({ schedule: "0 1 1 * *", timeZone: "UTC" });
  });

  it("scales a chart queue up on its backlog, from the default autoscaling and the Prometheus it was given", async () => {
    const queue = () =>
      getJson(["get", "taskqueue", "-n", namespace, "--field-selector", "metadata.name=reports"])[0];
    const spec = queue()?.spec;
    expect(spec.autoscaling.metrics).toEqual([
      { query: 'sum(synthetiq_queue_pending_jobs{queue="reports"})', targetType: "AverageValue", target: 1 },
    ]);
    expect(spec.autoscaling.prometheusUrl).toBe(prometheus?.url);
    await waitFor(
      "reports scaling active at its minimum",
      async () => {
        const status = queue()?.status;
        const active = status?.conditions?.find((c: { type: string }) => c.type === "ScalingActive");
        return active?.status === "True" && status.concurrency === spec.concurrency.min;
      },
      60_000,
    );
    // Three runs into a queue of one slot: two wait, a backlog of two per slot asks for more.
    for (const i of [1, 2, 3])
      apply(taskRun(`backlog-${i}`, "testing.sleep", { seconds: 15 }, { queue: "reports" }));
    await waitFor(
      "reports scaled up to its maximum",
      async () => queue()?.status.concurrency === spec.concurrency.max,
      60_000,
    );
    const status = queue()?.status;
    expect(status.lastScale).toMatchObject({ from: spec.concurrency.min, to: spec.concurrency.max });
    expect(status.lastScale.reason).toMatch(/^ScaledUp: /);
    for (const i of [1, 2, 3]) await waitForPhase(namespace, `backlog-${i}`, "Succeeded");
  });

  it("feeds every dashboard panel from the installed operator's metrics, after runs of every kind", async () => {
    const p = prometheus!;
    const seriesScraped = async (expr: string) => ((await p.query(expr)).data?.result.length ?? 0) > 0;
    // A counter's rate needs two samples: each outcome happens once, is scraped, and happens again.
    apply(taskRun("fail-1", "testing.exit", { code: 2 }));
    await waitForPhase(namespace, "fail-1", "Failed");
    await waitFor("the first finished runs scraped", () =>
      seriesScraped('synthetiq_taskruns_finished_total{outcome="Failed"}'),
    );
    const later = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
    apply(taskRun("noop-2", "testing.noop", {}));
    apply(taskRun("fail-2", "testing.exit", { code: 2 }));
    apply(taskRun("sleep-1", "testing.sleep", { seconds: 60 }));
    apply(taskRun("later-1", "testing.noop", {}, { runAt: later }));
    await waitForPhase(namespace, "noop-2", "Succeeded");
    await waitForPhase(namespace, "fail-2", "Failed");
    await waitForPhase(namespace, "sleep-1", "Running");
    await waitFor(
      "rates of succeeded and failed runs",
      async () =>
        ((await p.query("sum by (outcome) (rate(synthetiq_taskruns_finished_total[5m])) > 0")).data?.result
          .length ?? 0) === 2,
      30_000,
    );
    await waitFor(
      "pending and running gauges scraped",
      async () =>
        (await seriesScraped("synthetiq_queue_pending_taskruns")) &&
        seriesScraped("synthetiq_queue_running_taskruns"),
    );
    const dashboard = JSON.parse(
      readFileSync(join(REPO_ROOT, "monitoring/grafana/synthetiq-tasks.json"), "utf8"),
    ) as {
      panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
    };
    const empty: string[] = [];
    for (const panel of dashboard.panels.filter((panel) => panel.type !== "row")) {
      const results = await Promise.all(
        (panel.targets ?? []).map((t) =>
          p.query(t.expr.replaceAll("$__rate_interval", "5m").replaceAll("$queue", ".*")),
        ),
      );
      if (!results.some((r) => (r.data?.result.length ?? 0) > 0)) empty.push(panel.title);
    }
    // The queue panels (waiting, oldest waiting, admission wait, concurrency, scaling decisions,
    // scaling active) have data like the rest. Reconcile errors may stay empty: a healthy run may
    // have none (the metric is exported; a conflict retried with backoff counts as one).
    const exported = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(exported).toContain("# HELP synthetiq_operator_reconcile_errors_total");
    expect(empty.filter((title) => title !== "Reconcile errors per second")).toEqual([]);
  });

  it("gives the operator enough rights with its least-privilege RBAC: no request of it was refused", () => {
    const logs = kubectlOk(["logs", "-n", namespace, `deployment/${RELEASE}-synthetiq-tasks-operator`]);
    expect(logs).toContain("controller running");
    expect(logs.split("\n").filter((line) => /forbidden|\b403\b/i.test(line))).toEqual([]);
  });

  it("helm uninstall removes everything it installed; the CRDs, your own TaskRuns and the operator's Lease stay", async () => {
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
    const left = everythingIn(namespace);
    const ours = `(${[...created].join("|")})`;
    const allowed = [
      /^ConfigMap\/kube-root-ca\.crt$/,
      /^ServiceAccount\/default$/,
      /^Secret\/(redis-auth|smtp)$/,
      // The operator's leader-election Lease: created by the operator, not by Helm (docs/helm.md).
      new RegExp(`^Lease/${RELEASE}-synthetiq-tasks-operator$`),
      // TaskRuns we created ourselves, with the Jobs and pods they own.
      new RegExp(`^TaskRun/${ours}$`),
      new RegExp(`^(Job|Pod)/${ours}-`),
    ];
    expect(left.filter((o) => !allowed.some((pattern) => pattern.test(o)))).toEqual([]);
    expect(left).toContain("TaskRun/noop-1");
    expect(getJson(["get", "clusterroles,clusterrolebindings", "-l", INSTANCE])).toEqual([]);
    expect(kubectlOk(["get", "crd", "taskruns.tasks.synthetiq.io", "-o", "name"]).trim()).toBe(
      "customresourcedefinition.apiextensions.k8s.io/taskruns.tasks.synthetiq.io",
    );
  });
});
