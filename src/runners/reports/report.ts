// The content of a daily or monthly report, built from the period's data: a plain JSON-ready
// object that the JSON file stores as is and the PDF lays out. Pure.
import type { CurrencyRefunds, CurrencyRevenue, ModelUsage, PeriodData } from "../cdp/report-queries.ts";
import type { ReportPeriod } from "./period.ts";
import type { TaskOutcome } from "./task-outcomes.ts";

export interface PeriodReport {
  kind: ReportPeriod["kind"];
  period: { label: string; timeZone: string; start: string; end: string };
  newUsers: number;
  orders: { total: number; byStatus: Record<string, number> };
  revenue: CurrencyRevenue[];
  refunds: CurrencyRefunds[];
  /** Gross revenue minus refunds, per currency (minor units). */
  netOfRefunds: { currency: string; amountMinor: number }[];
  topModels: { byViews: ModelUsage[]; byDownloads: ModelUsage[] };
  taskOutcomes: TaskOutcome[];
}

export function buildPeriodReport(
  period: ReportPeriod,
  data: PeriodData,
  outcomes: TaskOutcome[],
): PeriodReport {
  const currencies = [
    ...new Set([...data.revenue.map((r) => r.currency), ...data.refunds.map((r) => r.currency)]),
  ].sort();
  return {
    kind: period.kind,
    period: {
      label: period.label,
      timeZone: period.timeZone,
      start: period.start.toISOString(),
      end: period.end.toISOString(),
    },
    newUsers: data.newUsers,
    orders: {
      total: Object.values(data.ordersByStatus).reduce((sum, n) => sum + n, 0),
      byStatus: data.ordersByStatus,
    },
    revenue: data.revenue,
    refunds: data.refunds,
    netOfRefunds: currencies.map((currency) => ({
      currency,
      amountMinor:
        (data.revenue.find((r) => r.currency === currency)?.grossMinor ?? 0) -
        (data.refunds.find((r) => r.currency === currency)?.amountMinor ?? 0),
    })),
    topModels: { byViews: data.topModelsByViews, byDownloads: data.topModelsByDownloads },
    taskOutcomes: outcomes,
  };
}

export function reportTitle(report: Pick<PeriodReport, "kind" | "period">): string {
  const kind = report.kind === "daily" ? "Daily" : "Monthly";
  return `${kind} report ${report.period.label} (${report.period.timeZone})`;
}
