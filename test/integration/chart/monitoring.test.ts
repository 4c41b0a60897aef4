// The alert rules and the Grafana dashboard against real Prometheus tools: promtool checks the
// rules and runs their unit tests (each alert has firing and quiet cases), and every dashboard
// panel's query is parsed and evaluated by a running Prometheus.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../../cluster/layout.ts";
import { type RunningPrometheus, startPrometheus } from "../../harness/prometheus.ts";

const RULES = join(REPO_ROOT, "monitoring/prometheus/rules.yaml");
const RULE_TESTS_DIR = join(REPO_ROOT, "monitoring/prometheus/tests");
const DASHBOARD = join(REPO_ROOT, "monitoring/grafana/synthetiq-tasks.json");

function promtool(args: string[]) {
  const result = spawnSync("promtool", args, { encoding: "utf8", timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: result.stdout + result.stderr };
}

const alertNames = (
  parseYaml(readFileSync(RULES, "utf8")) as { groups: Array<{ rules: Array<{ alert?: string }> }> }
).groups.flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => Boolean(a)));
const ruleTestFiles = readdirSync(RULE_TESTS_DIR)
  .filter((name) => name.endsWith(".yaml"))
  .map((name) => join(RULE_TESTS_DIR, name));

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
  panels: Panel[];
  templating: { list: unknown[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== "row");

/** What Grafana substitutes before it sends a query: the queue variable (All) and the rate window. */
function grafanaExpand(expr: string): string {
  return expr
    .replaceAll("$__rate_interval", "1m")
    .replaceAll("$__interval", "15s")
    .replaceAll("$queue", ".*");
}

describe("alert rules", () => {
  it("pass promtool check rules", () => {
    const result = promtool(["check", "rules", RULES]);
    expect(result.output).toContain(`SUCCESS: ${alertNames.length} rules found`);
    expect(result.status).toBe(0);
  });

  it("are the four alerts the chart documents", () => {
    expect(alertNames.sort()).toEqual([
      "SynthetiqTaskFailureRatioHigh",
      "SynthetiqTaskOperatorDown",
      "SynthetiqTaskQueueBacklogTooOld",
      "SynthetiqTaskQueueScalingInactive",
    ]);
  });

  it("pass their promtool unit tests, and every alert has a case where it fires and one where it does not", () => {
    const result = promtool(["test", "rules", ...ruleTestFiles]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
    type AlertTest = { alertname: string; exp_alerts: unknown[] };
    const cases = ruleTestFiles.flatMap((file) =>
      (
        parseYaml(readFileSync(file, "utf8")) as { tests: Array<{ alert_rule_test?: AlertTest[] }> }
      ).tests.flatMap((t) => t.alert_rule_test ?? []),
    );
    for (const alert of alertNames) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => c.exp_alerts.length > 0),
        `${alert} fires in a test`,
      ).toBe(true);
      expect(
        own.some((c) => c.exp_alerts.length === 0),
        `${alert} stays quiet in a test`,
      ).toBe(true);
    }
  });
});

describe("Grafana dashboard", () => {
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    prometheus = await startPrometheus();
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it("covers queues, throughput, latency percentiles, failures by task and reason, concurrency and scaling", () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join("\n");
    for (const metric of [
      "synthetiq_queue_pending_taskruns",
      "synthetiq_queue_running_taskruns",
      "synthetiq_queue_waiting_jobs",
      "synthetiq_queue_oldest_waiting_seconds",
      "synthetiq_taskruns_finished_total",
      "synthetiq_taskrun_duration_seconds_bucket",
      "synthetiq_taskrun_wait_seconds_bucket",
      "synthetiq_queue_admission_wait_seconds_bucket",
      "synthetiq_queue_concurrency",
      "synthetiq_queue_running_jobs",
      "synthetiq_queue_pending_jobs",
      "synthetiq_queue_scale_decisions_total",
    ]) {
      expect(exprs, metric).toContain(metric);
    }
    expect(exprs).toMatch(/histogram_quantile\(0\.99/);
    expect(exprs).toMatch(/by \(task, outcome\)/);
    expect(exprs).toMatch(/by \(queue, reason\) \(increase\(synthetiq_queue_scale_decisions_total/);
  });

  it("has a unique id and a query for every panel", () => {
    const ids = dashboard.panels.map((p) => (p as unknown as { id: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
  });

  it("has panel queries that a real Prometheus parses and evaluates", async () => {
    const failures: string[] = [];
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        const result = await prometheus.query(grafanaExpand(target.expr));
        if (result.status !== "success")
          failures.push(`${panel.title}: ${result.errorType}: ${result.error}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("would show a syntax error (the check is not vacuous)", async () => {
    const result = await prometheus.query("sum by (queue (synthetiq_queue_pending_jobs)");
    expect(result.status).toBe("error");
    expect(result.errorType).toBe("bad_data");
  });
});
