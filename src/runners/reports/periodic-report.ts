// Producing one daily or monthly report: the period's data, then the CSV, JSON and PDF in artifact
// storage under one key per period (a re-run replaces them), then an optional mail with links.
import { z } from "zod";
import type { TaskContext } from "../sdk/task.ts";
import { PermanentError } from "../sdk/task.ts";
import { isLocale } from "./money.ts";
import {
  assertTimeZone,
  dailyPeriod,
  isCalendarDate,
  monthlyPeriod,
  type PeriodKind,
  previousPeriod,
  type ReportPeriod,
} from "./period.ts";
import type { PeriodReport } from "./report.ts";

const timeZone = z
  .string()
  .refine((zone) => {
    try {
      assertTimeZone(zone);
      return true;
    } catch {
      return false;
    }
  }, "not a known IANA time zone (for example UTC or Europe/Berlin)")
  .optional()
  .describe("IANA zone of the period's boundaries; default REPORT_TIME_ZONE (UTC)");

const common = {
  timeZone,
  topModels: z.number().int().min(1).max(50).default(10).describe("How many models the top lists show"),
  locale: z
    .string()
    .refine(isLocale, "not a BCP 47 locale such as en-US")
    .default("en-US")
    .describe("Locale of amounts in the PDF"),
  recipients: z.array(z.email()).max(50).default([]).describe("Mail the report's links to these addresses"),
};

export const dailyReportInput = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD")
    // Refused with the input (no pod started), as 2024-13 is: a day that month does not have.
    .refine(isCalendarDate, {
      error: (issue) => `${JSON.stringify(issue.input)} is not a calendar date (that month has no such day)`,
    })
    .optional()
    .describe("The day to report on; default yesterday in the time zone"),
  ...common,
});

export const monthlyReportInput = z.object({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "expected YYYY-MM")
    .optional()
    .describe("The month to report on; default last month in the time zone"),
  ...common,
});

const storedFile = z.object({ key: z.string(), bytes: z.number(), sha256: z.string(), link: z.string() });

export const periodicReportOutput = z.object({
  period: z.object({ label: z.string(), timeZone: z.string(), start: z.string(), end: z.string() }),
  files: z.object({ pdf: storedFile, json: storedFile, csv: storedFile }),
  orderRows: z.number(),
  newUsers: z.number(),
  orders: z.number(),
  mailedTo: z.array(z.string()),
});

export type PeriodicReportOutput = z.infer<typeof periodicReportOutput>;

export interface PeriodicReportRequest {
  kind: PeriodKind;
  /** "YYYY-MM-DD" (daily) or "YYYY-MM" (monthly); default the previous period. */
  label?: string;
  timeZone?: string;
  topModels: number;
  locale: string;
  recipients: string[];
}

function resolvePeriod(request: PeriodicReportRequest, defaultZone: string, now: Date): ReportPeriod {
  const zone = request.timeZone ?? defaultZone;
  try {
    if (!request.label) return previousPeriod(request.kind, now, zone);
    return request.kind === "daily" ? dailyPeriod(request.label, zone) : monthlyPeriod(request.label, zone);
  } catch (error) {
    throw new PermanentError((error as Error).message, { type: "InvalidInput" });
  }
}

/** Artifact keys of a period: reports/<kind>/<zone>/<label>/<file>. */
export function reportKeyPrefix(period: Pick<ReportPeriod, "kind" | "timeZone" | "label">): string {
  return `reports/${period.kind}/${period.timeZone.replaceAll("/", "_")}/${period.label}`;
}

export async function runPeriodicReport(
  request: PeriodicReportRequest,
  ctx: TaskContext,
): Promise<PeriodicReportOutput> {
  // Loaded here, not at the top: the registry imports this module on every cold start.
  const [
    { loadPeriodData, streamPeriodOrders },
    { ordersCsvStream },
    { buildPeriodReport, reportTitle },
    { renderReportPdf },
    { countTaskOutcomes },
  ] = await Promise.all([
    import("../cdp/report-queries.ts"),
    import("./orders-csv.ts"),
    import("./report.ts"),
    import("./report-pdf.ts"),
    import("./task-outcomes.ts"),
  ]);
  const settings = ctx.services.config().reports;
  const now = new Date();
  const period = resolvePeriod(request, settings.timeZone, now);
  const db = ctx.services.database();
  const store = ctx.services.artifacts();
  const prefix = reportKeyPrefix(period);
  ctx.log.info("report period", {
    period: period.label,
    timeZone: period.timeZone,
    start: period.start,
    end: period.end,
  });

  const [data, outcomes] = await Promise.all([
    loadPeriodData(db, period, request.topModels),
    countTaskOutcomes(ctx.services.redis(), period.start, period.end),
  ]);
  const report: PeriodReport = buildPeriodReport(period, data, outcomes);
  ctx.progress(0.2, "key figures computed");

  const counter = { rows: 0 };
  const csv = await store.put(
    `${prefix}/orders.csv`,
    ordersCsvStream(streamPeriodOrders(db, period, { signal: ctx.signal }), counter),
    { contentType: "text/csv; charset=utf-8" },
  );
  ctx.progress(0.7, `${counter.rows} orders exported`);
  const json = await store.put(`${prefix}/report.json`, Buffer.from(`${JSON.stringify(report, null, 2)}\n`), {
    contentType: "application/json",
  });
  const pdf = await store.put(
    `${prefix}/report.pdf`,
    await renderReportPdf(report, { locale: request.locale, generatedAt: now }),
    {
      contentType: "application/pdf",
    },
  );
  ctx.progress(0.9, "files stored");

  const expiry = settings.linkExpirySeconds;
  const withLink = async (stored: { key: string; bytes: number; sha256: string }) => ({
    key: stored.key,
    bytes: stored.bytes,
    sha256: stored.sha256,
    link: await store.link(stored.key, expiry),
  });
  const files = { pdf: await withLink(pdf), json: await withLink(json), csv: await withLink(csv) };

  let mailedTo: string[] = [];
  if (request.recipients.length > 0) {
    const { mailReport } = await import("./report-mail.ts");
    mailedTo = await mailReport(ctx, request.kind, reportTitle(report), files, expiry, request.recipients);
  }
  return {
    period: report.period,
    files,
    orderRows: counter.rows,
    newUsers: report.newUsers,
    orders: report.orders.total,
    mailedTo,
  };
}
