// The demo, the README's first command: `node scripts/demo.ts [up]` brings up the local cluster,
// Redis, Postgres with seeded CDP data, a mail catcher and Prometheus, installs the chart with
// helm, runs example TaskRuns and shows what they did; `down` stops everything it started;
// `status` lists what runs. A second `up` reuses what is already running (state in .cache/demo).
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { putExampleArtifacts } from "../examples/artifacts.ts";
import { LocalArtifactStore } from "../src/runners/artifacts/local.ts";
import { clusterLayout, clusterStatus, startCluster, stopCluster } from "../test/cluster/cluster.ts";
import { binaryDir, REPO_ROOT } from "../test/cluster/layout.ts";
import { freePort } from "../test/harness/processes.ts";
import { applyExamples, readResults, waitForExamples } from "./demo/examples.ts";
import { applyNamespaceAndSecrets, installChart } from "./demo/install.ts";
import { helm, type Kube, kubectl, kubectlOk } from "./demo/kube.ts";
import { runningPid, stopDetached } from "./demo/processes.ts";
import { heading, line, seconds, step } from "./demo/progress.ts";
import {
  ensureMailCatcher,
  ensurePostgres,
  ensurePrometheus,
  ensureRedis,
  ensureSeeded,
} from "./demo/services.ts";
import { DEMO_DIR, type DemoState, NAMESPACE, paths, RELEASE, readState, writeState } from "./demo/state.ts";

const SERVICES = ["prometheus", "mail-catcher", "postgres", "redis"] as const;

async function loadOrCreateState(): Promise<DemoState> {
  const existing = readState();
  if (existing) return existing;
  const [redis, postgres, smtp, mailWeb, prometheus, operator] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const state: DemoState = {
    ports: {
      redis: redis!,
      postgres: postgres!,
      smtp: smtp!,
      mailWeb: mailWeb!,
      prometheus: prometheus!,
      operator: operator!,
    },
    redisPassword: randomBytes(16).toString("hex"),
    startedCluster: false,
  };
  writeState(state);
  return state;
}

/** Files the examples produced (everything in artifact storage but the examples' inputs). */
function producedFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.includes(".tmp-")) files.push(path);
    }
  };
  walk(paths.artifacts);
  return files.filter((f) => !relative(paths.artifacts, f).startsWith("examples/")).sort();
}

function mails(): Array<{ to: string[]; subject: string; receivedAt: string }> {
  return readdirSync(paths.mails)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(paths.mails, f), "utf8")));
}

async function up() {
  const begin = Date.now();
  heading("synthetiq-tasks demo: everything on 127.0.0.1, state in .cache/demo");
  const state = await loadOrCreateState();
  const cluster = await step(
    "local Kubernetes cluster (etcd, kube-apiserver, controller-manager, scheduler, process node)",
    () => startCluster({ persistent: true }),
    (c) => (c.reused ? "reused the running cluster" : `started in ${seconds(c.startMs)}`),
  );
  if (!cluster.reused) writeState({ ...state, startedCluster: true });
  const kube: Kube = { kubeconfig: cluster.kubeconfig, binDir: cluster.state.binDir };
  await step(
    "Redis (results)",
    () => ensureRedis(state),
    (o) => `${o}, port ${state.ports.redis}`,
  );
  await step(
    "Postgres (CDP database)",
    () => ensurePostgres(state),
    (o) => `${o}, port ${state.ports.postgres}`,
  );
  await step(
    "CDP schema and seed data",
    () => ensureSeeded(state),
    (detail) => detail,
  );
  await step(
    "mail catcher (SMTP sink and a web page of the mails)",
    () => ensureMailCatcher(state),
    (o) => `${o}, SMTP ${state.ports.smtp}, web http://127.0.0.1:${state.ports.mailWeb}/`,
  );
  await step(
    "example inputs in artifact storage",
    async () => putExampleArtifacts(new LocalArtifactStore(paths.artifacts)),
    (keys) => keys.join(", "),
  );
  await step(`namespace ${NAMESPACE} (restricted) and Secrets (redis-auth, smtp, cdp-database)`, async () =>
    applyNamespaceAndSecrets(kube, state),
  );
  await step(
    "helm upgrade --install charts/synthetiq-tasks (operator and runners as pods)",
    async () => installChart(kube, state, REPO_ROOT),
    (detail) => detail,
  );
  await step(
    "Prometheus scraping the operator, with the alert rules",
    () => ensurePrometheus(state),
    (o) => `${o}, http://127.0.0.1:${state.ports.prometheus}/`,
  );
  await step("example TaskRuns applied with kubectl", async () => applyExamples(kube));
  const runs = await step("waiting for them", () => waitForExamples(kube));

  heading(`kubectl get taskruns -n ${NAMESPACE}`);
  line(kubectlOk(kube, ["get", "taskruns", "-n", NAMESPACE]).trimEnd());

  heading("Results (from Redis, key status.resultRef)");
  const results = await readResults(state, runs);
  for (const result of results) {
    const body = result.record?.output ?? result.record?.error ?? null;
    line(`  ${result.taskRun} ${result.phase}: ${JSON.stringify(body).slice(0, 240)}`);
  }

  heading(`Files the tasks produced (artifact storage: ${relative(REPO_ROOT, paths.artifacts)})`);
  for (const file of producedFiles()) {
    line(`  ${relative(REPO_ROOT, file)}  (${statSync(file).size} bytes)`);
  }

  heading(
    `Mails (web page http://127.0.0.1:${state.ports.mailWeb}/, JSON in ${relative(REPO_ROOT, paths.mails)})`,
  );
  // This run's mails; the mail catcher keeps earlier runs' too.
  const received = mails();
  const fresh = received.filter((mail) => Date.parse(mail.receivedAt) >= begin);
  for (const mail of fresh.slice(-10))
    line(`  ${mail.receivedAt}  to ${mail.to.join(", ")}: ${mail.subject}`);
  if (fresh.length === 0) {
    line(
      `  none new in this run (its example TaskRuns had run before); ${received.length} from earlier runs`,
    );
  }

  const kubectlBin = join(kube.binDir, "kubectl");
  heading("Next commands to try");
  line(`  export KUBECONFIG=${kube.kubeconfig}`);
  line(`  alias kubectl="${kubectlBin} -n ${NAMESPACE}"`);
  line("  kubectl get taskruns -o wide                    # like Flower's task list");
  line("  kubectl describe taskrun invoice-order-2        # conditions, attempts, result key");
  line("  kubectl logs job/welcome-ada-a1                 # the runner's JSON log lines");
  line("  kubectl apply -f examples/email/send-order-confirmation.yaml");
  line(
    "  kubectl apply -f examples/mistakes/bad-input.yaml && kubectl get taskrun welcome-bad-input -o yaml",
  );
  line("  kubectl get tq                                  # the queues the chart installed");
  // The password stays in the state file (mode 600): the command reads it, the output does not show it.
  const passwordFromState = `$(node -p "require('./${relative(REPO_ROOT, paths.state)}').redisPassword")`;
  line(
    `  export REDIS_URL="redis://:${passwordFromState}@127.0.0.1:${state.ports.redis}"  # results for kubectl task`,
  );
  line(
    `  bin/kubectl-task -n ${NAMESPACE} get welcome-ada  # kubectl task (bin/ on PATH): the run and its output`,
  );
  line(`  open http://127.0.0.1:${state.ports.prometheus}/graph?g0.expr=synthetiq_taskruns_finished_total`);
  line("  less docs/migrating-from-celery.md              # .delay(), AsyncResult, beat, Flower, ...");
  line(
    "  less docs/http-api.md   # the HTTP API for the Python backend: here on http://127.0.0.1:8081 (pods share the host's ports)",
  );
  line("  bash scripts/dev.sh demo down                   # stop everything");
  const failed = results.filter((r) => r.phase !== "Succeeded");
  heading(
    failed.length === 0
      ? `Demo ready in ${seconds(Date.now() - begin)}.`
      : `Demo done in ${seconds(Date.now() - begin)}, but ${failed.map((r) => r.taskRun).join(", ")} did not succeed: kubectl describe taskrun NAME says why.`,
  );
  if (failed.length > 0) process.exitCode = 1;
}

async function down() {
  heading("stopping the demo");
  const state = readState();
  const layout = clusterLayout();
  const cluster = clusterStatus(layout);
  if (cluster.running && !state?.startedCluster) {
    // Someone else's cluster: remove only what the demo installed.
    const kube: Kube = { kubeconfig: layout.kubeconfig, binDir: binaryDir() };
    await step(`helm uninstall ${RELEASE}, delete namespace ${NAMESPACE}`, async () => {
      helm(kube, ["uninstall", RELEASE, "-n", NAMESPACE, "--wait", "--ignore-not-found"]);
      kubectl(kube, ["delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false"]);
    });
  } else if (cluster.running) {
    await step(
      "local cluster",
      () => stopCluster(layout),
      () => "stopped",
    );
    if (state) writeState({ ...state, startedCluster: false });
  }
  for (const name of SERVICES) {
    await step(
      name,
      () => stopDetached(name, name === "postgres" ? "SIGINT" : "SIGTERM"),
      (was) => (was ? "stopped" : "was not running"),
    );
  }
  line(`\nData kept for the next run in ${DEMO_DIR} (delete it for a fresh start).`);
}

function status() {
  const state = readState();
  const cluster = clusterStatus();
  line(
    `cluster: ${cluster.running ? "running" : "stopped"}${state?.startedCluster ? " (started by the demo)" : ""}`,
  );
  for (const name of SERVICES)
    line(`${name}: ${runningPid(name) ? `running (pid ${runningPid(name)})` : "stopped"}`);
  if (state) line(`ports: ${JSON.stringify(state.ports)}`);
}

const command = process.argv[2] ?? "up";
const commands: Record<string, () => Promise<void> | void> = { up, down, status };
const run = commands[command];
if (!run) {
  process.stderr.write("usage: node scripts/demo.ts [up | down | status]\n");
  process.exit(2);
}
try {
  await run();
} catch (error) {
  process.stderr.write(`\ndemo failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
