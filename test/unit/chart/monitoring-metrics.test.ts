// The dashboard, the alert rules, their promtool tests and docs/monitoring.md against the metrics the
// operator really registers (its prom-client registry, imported, not its source text), so that a
// renamed or removed metric fails here instead of leaving a panel or an alert silently empty.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../../cluster/layout.ts";
import { type MetricSelector, operatorMetrics, selectedMetrics, seriesNames } from "../../harness/promql.ts";

const DASHBOARD = join(REPO_ROOT, "monitoring/grafana/synthetiq-tasks.json");
const RULES = join(REPO_ROOT, "monitoring/prometheus/rules.yaml");
const RULE_TESTS = join(REPO_ROOT, "monitoring/prometheus/tests");
const MONITORING_DOC = join(REPO_ROOT, "docs/monitoring.md");

/** Series Prometheus itself adds to every scrape. */
const SCRAPE_SERIES = ["up", "scrape_duration_seconds", "scrape_samples_scraped"];

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

/** What Grafana substitutes before it sends a query. */
const grafanaExpand = (expr: string) =>
  expr.replaceAll("$__rate_interval", "1m").replaceAll("$__interval", "15s").replaceAll("$queue", ".*");

/** Every PromQL expression of the dashboard (panels and the `label_values` of its variables). */
function dashboardQueries(): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
    panels: Panel[];
    templating: { list: Array<{ name: string; definition?: string }> };
  };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const fromPanels = panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: grafanaExpand(t.expr) })),
  );
  const fromVariables = dashboard.templating.list.flatMap((v) => {
    const call = v.definition?.match(/^label_values\((.+),\s*\w+\)$/);
    return call?.[1] ? [{ where: `variable $${v.name}`, expr: call[1] }] : [];
  });
  return [...fromPanels, ...fromVariables];
}

function ruleQueries(): Array<{ where: string; expr: string }> {
  const rules = parseYaml(readFileSync(RULES, "utf8")) as {
    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  return rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })),
  );
}

/** The input series of the promtool unit tests (`name{labels}` is a PromQL vector selector). */
function ruleTestSeries(): Array<{ where: string; expr: string }> {
  return readdirSync(RULE_TESTS)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((file) => {
      const tests = (
        parseYaml(readFileSync(join(RULE_TESTS, file), "utf8")) as {
          tests: Array<{ input_series?: Array<{ series: string }> }>;
        }
      ).tests;
      return tests.flatMap((t) =>
        (t.input_series ?? []).map((s) => ({ where: `${file} input series`, expr: s.series })),
      );
    });
}

describe("metric names used by the monitoring files", async () => {
  const registered = await operatorMetrics();
  const series = new Set([...registered.flatMap(seriesNames), ...SCRAPE_SERIES]);
  const unknown = (selectors: MetricSelector[]) =>
    selectors.filter((s) =>
      "name" in s
        ? !series.has(s.name)
        : ![...series].some((n) => new RegExp(`^(?:${s.nameRegex})$`).test(n)),
    );

  it("the operator registers the queue metrics (the registry is really read)", () => {
    const names = registered.map((m) => m.name);
    expect(names).toContain("synthetiq_taskruns_finished_total");
    expect(names).toContain("synthetiq_queue_pending_jobs");
    expect(series.has("synthetiq_queue_admission_wait_seconds_bucket")).toBe(true);
  });

  it.each([
    ["dashboard", dashboardQueries],
    ["alert rules", ruleQueries],
    ["promtool test input", ruleTestSeries],
  ])("every metric used by the %s is one the operator registers", (_, queries) => {
    const found = queries();
    expect(found.length).toBeGreaterThan(0);
    const problems = found.flatMap(({ where, expr }) => {
      const selectors = selectedMetrics(expr);
      if (selectors.length === 0) return [`${where}: selects no metric: ${expr}`];
      return unknown(selectors).map((s) => `${where}: ${"name" in s ? s.name : `~${s.nameRegex}`}`);
    });
    expect(problems).toEqual([]);
  });

  it("docs/monitoring.md lists every metric the operator registers, with its labels", () => {
    const doc = readFileSync(MONITORING_DOC, "utf8");
    const rows = new Map(
      doc
        .split("\n")
        .filter((line) => line.startsWith("| `synthetiq_"))
        .map((line) => [line.split("`")[1], line] as const),
    );
    const missing = registered.filter((m) => {
      const row = rows.get(m.name);
      return !row || m.labels.some((label) => !row.includes(`\`${label}\``));
    });
    expect(missing.map((m) => `${m.name} {${m.labels.join(",")}}`)).toEqual([]);
  });

  it("would catch a name the operator does not register, and a syntax error", () => {
    expect(unknown(selectedMetrics('sum by (queue) (synthetiq_queue_scaling_active{queue=~".*"})'))).toEqual([
      { name: "synthetiq_queue_scaling_active" },
    ]);
    expect(unknown(selectedMetrics('{__name__=~"synthetiq_nothing_.+"}'))).toEqual([
      { nameRegex: "synthetiq_nothing_.+" },
    ]);
    expect(() => selectedMetrics("sum by (queue (synthetiq_queue_pending_jobs)")).toThrow(/syntax error/);
  });
});
