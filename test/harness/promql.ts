// Metric names in PromQL, read from Prometheus' own grammar (@prometheus-io/lezer-promql), and the
// series the operator's prom-client registry exposes: what the monitoring drift tests compare.

import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import { createQueueMetrics } from "../../src/operator/admission/metrics.ts";
import { createMetrics } from "../../src/operator/metrics.ts";

/** What a vector selector asks for: an exact metric name, or a `__name__` regular expression. */
export type MetricSelector = { name: string } | { nameRegex: string };

/** Every metric selected in a PromQL expression; throws on a syntax error, naming where it is. */
export function selectedMetrics(expr: string): MetricSelector[] {
  const tree = parser.parse(expr);
  const found: MetricSelector[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        throw new Error(`PromQL syntax error at ${node.from} in: ${expr}`);
      }
      if (node.name !== "VectorSelector") return;
      const name = node.node.getChild("Identifier");
      if (name) found.push({ name: expr.slice(name.from, name.to) });
      for (const matcher of node.node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        const selector = nameMatcher(expr, matcher);
        if (selector) found.push(selector);
      }
    },
  });
  return found;
}

function nameMatcher(expr: string, matcher: SyntaxNode): MetricSelector | undefined {
  const label = matcher.getChild("LabelName");
  const op = matcher.getChild("MatchOp")?.firstChild?.name;
  const value = matcher.getChild("StringLiteral");
  if (!label || !value || expr.slice(label.from, label.to) !== "__name__") return undefined;
  const text = JSON.parse(expr.slice(value.from, value.to)) as string;
  if (op === "EqlSingle") return { name: text };
  if (op === "EqlRegex") return { nameRegex: text };
  return undefined;
}

export interface RegisteredMetric {
  name: string;
  type: string;
  help: string;
  labels: string[];
}

/**
 * The metrics the operator process registers, composed as src/operator/main.ts composes them (the
 * operator's own set, then the queue metrics on the same registry).
 */
export async function operatorMetrics(): Promise<RegisteredMetric[]> {
  const metrics = createMetrics();
  createQueueMetrics(metrics.registry);
  const byName = new Map(metrics.registry.getMetricsAsArray().map((m) => [m.name, m]));
  return (await metrics.registry.getMetricsAsJSON()).map((m) => ({
    name: m.name,
    type: String(m.type),
    help: m.help,
    labels: [...((byName.get(m.name) as unknown as { labelNames?: string[] })?.labelNames ?? [])],
  }));
}

/** The series names Prometheus stores for a metric: a histogram's `_bucket`, `_sum`, `_count`. */
export function seriesNames(metric: RegisteredMetric): string[] {
  if (metric.type === "histogram")
    return ["_bucket", "_sum", "_count"].map((suffix) => `${metric.name}${suffix}`);
  if (metric.type === "summary") return [metric.name, `${metric.name}_sum`, `${metric.name}_count`];
  return [metric.name];
}
