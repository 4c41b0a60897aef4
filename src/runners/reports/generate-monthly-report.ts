// reports.generate_monthly_report: last month's KPIs (or a given month's) as PDF, CSV and JSON.
import { defineTask } from "../sdk/task.ts";
import { monthlyReportInput, periodicReportOutput, runPeriodicReport } from "./periodic-report.ts";

export const generateMonthlyReport = defineTask({
  name: "reports.generate_monthly_report",
  queue: "reports",
  description:
    "Monthly KPIs from the CDP database (users, orders, revenue, refunds, top models, task outcomes) as PDF, CSV and JSON",
  input: monthlyReportInput,
  output: periodicReportOutput,
  retry: { maxAttempts: 3, backoff: { initialSeconds: 60, factor: 2 } },
  timeouts: { softSeconds: 1800, hardSeconds: 2400 },
  schedule: { cron: "0 1 1 * *", timeZone: "UTC" },
  run: (input, ctx) => runPeriodicReport({ kind: "monthly", label: input.month, ...input }, ctx),
});
