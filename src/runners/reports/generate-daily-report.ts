// reports.generate_daily_report: yesterday's KPIs (or a given day's) as PDF, CSV and JSON.
import { defineTask } from "../sdk/task.ts";
import { dailyReportInput, periodicReportOutput, runPeriodicReport } from "./periodic-report.ts";

export const generateDailyReport = defineTask({
  name: "reports.generate_daily_report",
  queue: "reports",
  description:
    "Daily KPIs from the CDP database (users, orders, revenue, refunds, top models, task outcomes) as PDF, CSV and JSON",
  input: dailyReportInput,
  output: periodicReportOutput,
  retry: { maxAttempts: 3, backoff: { initialSeconds: 60, factor: 2 } },
  timeouts: { softSeconds: 600, hardSeconds: 900 },
  schedule: { cron: "0 0 * * *", timeZone: "UTC" },
  run: (input, ctx) => runPeriodicReport({ kind: "daily", label: input.date, ...input }, ctx),
});
