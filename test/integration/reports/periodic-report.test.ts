// The daily and monthly reports on real Postgres, Redis and S3 (moto): every figure is checked
// against SQL written independently here (period boundaries from Postgres' own time-zone rules).
import { parse as parsePath } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedCdp } from "../../../src/runners/cdp/seed.ts";
import { generateDailyReport } from "../../../src/runners/reports/generate-daily-report.ts";
import { generateMonthlyReport } from "../../../src/runners/reports/generate-monthly-report.ts";
import { formatMoney } from "../../../src/runners/reports/money.ts";
import type { PeriodicReportOutput } from "../../../src/runners/reports/periodic-report.ts";
import type { PeriodReport } from "../../../src/runners/reports/report.ts";
import { ResultStore } from "../../../src/runners/results/store.ts";
import { startSmtpSink } from "../../harness/smtp.ts";
import { pdfToText, renderFirstPage } from "./pdf-tools.ts";
import { type ReportEnv, startReportEnv } from "./report-env.ts";

let env: ReportEnv;
const ZONE = "Europe/Berlin";

beforeAll(async () => {
  env = await startReportEnv(
    { databaseUrl: inject("databaseUrl"), redisUrl: inject("redisUrl") },
    "periodic",
  );
  await seedCdp(env.db.pool, {
    users: 500,
    models: 40,
    orders: 20_000,
    from: new Date("2024-03-25T00:00:00Z"),
    to: new Date("2024-04-05T00:00:00Z"),
  });
  // Result records of other tasks: two in the Berlin day 2024-03-31, one just outside it.
  const redis = new Redis(env.redisUrl);
  const results = new ResultStore(redis, { ttlSeconds: 3600, maxBytes: 100_000 });
  const record = (
    name: string,
    task: string,
    status: "succeeded" | "failed",
    final: boolean,
    finishedAt: string,
  ) =>
    results.write({
      task,
      taskRun: { namespace: "reports-test", name },
      attempt: 1,
      status,
      final,
      startedAt: finishedAt,
      finishedAt,
    });
  await record("a", "email.send_welcome_email", "succeeded", true, "2024-03-31T10:00:00Z");
  await record("b", "email.send_welcome_email", "failed", true, "2024-03-30T23:30:00Z"); // 00:30 Berlin
  await record("c", "models.push_to_ecr", "failed", false, "2024-03-31T21:59:59Z");
  await record("d", "email.send_welcome_email", "succeeded", true, "2024-03-31T22:00:00Z"); // next day in Berlin
  redis.disconnect();
}, 180_000);
afterAll(() => env?.stop());

/** The KPIs computed independently with Postgres' AT TIME ZONE, for a local date range. */
async function expectedFigures(firstDate: string, lastDate: string) {
  const q = async (sql: string) => (await env.db.pool.query(sql, [ZONE, firstDate, lastDate])).rows;
  const inPeriod = (column: string) => `(${column} AT TIME ZONE $1)::date BETWEEN $2::date AND $3::date`;
  const [users] = await q(`SELECT count(*)::int AS n FROM users WHERE ${inPeriod("created_at")}`);
  const orders = await q(
    `SELECT status, count(*)::int AS n FROM orders WHERE ${inPeriod("created_at")} GROUP BY status`,
  );
  const revenue = await q(
    `SELECT currency, count(*)::int AS n, sum(total_minor)::bigint AS gross, sum(tax_minor)::bigint AS tax
     FROM orders WHERE status = 'paid' AND ${inPeriod("created_at")} GROUP BY currency ORDER BY currency`,
  );
  const refunds = await q(
    `SELECT currency, count(*)::int AS n, sum(amount_minor)::bigint AS amount FROM refunds WHERE ${inPeriod("created_at")}
     GROUP BY currency ORDER BY currency`,
  );
  const topViews = await q(
    `SELECT model_id::int AS id, sum(views)::bigint AS views FROM model_analytics_daily
     WHERE day BETWEEN $2::date AND $3::date AND $1::text IS NOT NULL GROUP BY model_id ORDER BY 2 DESC, 1 LIMIT 5`,
  );
  return { users: users.n, orders, revenue, refunds, topViews };
}

describe("reports.generate_daily_report", () => {
  let output: PeriodicReportOutput;
  let report: PeriodReport;

  beforeAll(async () => {
    const record = await env.run(generateDailyReport, { date: "2024-03-31", timeZone: ZONE, topModels: 5 });
    expect(record.error).toBeUndefined();
    expect(record.status).toBe("succeeded");
    output = record.output as PeriodicReportOutput;
    report = JSON.parse((await env.read(output.files.json.key)).toString());
  });

  it("covers the 23-hour Berlin day of the spring DST change", () => {
    expect(output.period).toEqual({
      label: "2024-03-31",
      timeZone: ZONE,
      start: "2024-03-30T23:00:00.000Z",
      end: "2024-03-31T22:00:00.000Z",
    });
  });

  it("counts users, orders, revenue per currency, refunds and top models as SQL does", async () => {
    const expected = await expectedFigures("2024-03-31", "2024-03-31");
    expect(expected.users).toBeGreaterThan(0);
    expect(report.newUsers).toBe(expected.users);
    expect(report.orders.byStatus).toEqual(Object.fromEntries(expected.orders.map((r) => [r.status, r.n])));
    expect(report.revenue.map((r) => [r.currency, r.paidOrders, r.grossMinor, r.taxMinor])).toEqual(
      expected.revenue.map((r) => [r.currency, r.n, Number(r.gross), Number(r.tax)]),
    );
    expect(report.revenue.length).toBe(4);
    expect(report.refunds.map((r) => [r.currency, r.refunds, r.amountMinor])).toEqual(
      expected.refunds.map((r) => [r.currency, r.n, Number(r.amount)]),
    );
    expect(report.topModels.byViews.map((m) => [m.modelId, m.views])).toEqual(
      expected.topViews.map((r) => [r.id, Number(r.views)]),
    );
    expect(output.orders).toBe(expected.orders.reduce((sum, r) => sum + r.n, 0));
  });

  it("counts task outcomes from the result records finished in the period", () => {
    const ours = report.taskOutcomes.filter((t) =>
      ["email.send_welcome_email", "models.push_to_ecr"].includes(t.task),
    );
    expect(ours).toEqual([
      { task: "email.send_welcome_email", succeeded: 1, failed: 1, retrying: 0 },
      { task: "models.push_to_ecr", succeeded: 0, failed: 0, retrying: 1 },
    ]);
  });

  it("writes one CSV row per order of the period whose amounts add up to the revenue", async () => {
    const lines = (await env.read(output.files.csv.key)).toString().trimEnd().split("\r\n");
    expect(lines[0]).toBe("order_number,created_at,user_id,status,currency,net,tax,gross,refunded");
    expect(lines.length - 1).toBe(output.orders);
    expect(output.orderRows).toBe(output.orders);
    const eurPaidGross = lines
      .slice(1)
      .map((l) => l.split(","))
      .filter((f) => f[3] === "paid" && f[4] === "EUR")
      .reduce((sum, f) => sum + Math.round(Number(f[7]) * 100), 0);
    expect(eurPaidGross).toBe(report.revenue.find((r) => r.currency === "EUR")?.grossMinor);
  });

  it("renders a PDF whose text shows the figures, and whose first page renders", async () => {
    const pdf = await env.read(output.files.pdf.key);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const text = pdfToText(pdf);
    expect(text).toContain("Daily report 2024-03-31 (Europe/Berlin)");
    expect(text).toMatch(new RegExp(`New users\\s+${report.newUsers}\\b`));
    for (const r of report.revenue) {
      expect(text).toContain(formatMoney(r.grossMinor, r.currency, "en-US").replace(/\u00a0/g, " "));
    }
    expect(text).toContain(report.topModels.byViews[0]?.name);
    expect(text).toMatch(/Page 1 of \d/);
    const png = renderFirstPage(pdf, process.env.KEEP_REPORT_PNG);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  });

  it("stores the files under the period's key and replaces them when the period is run again", async () => {
    const prefix = "reports/daily/Europe_Berlin/2024-03-31/";
    expect((await env.store.list(prefix)).map((k) => parsePath(k).base)).toEqual([
      "orders.csv",
      "report.json",
      "report.pdf",
    ]);
    const again = await env.run(generateDailyReport, { date: "2024-03-31", timeZone: ZONE, topModels: 5 });
    expect(again.status).toBe("succeeded");
    expect(await env.store.list(prefix)).toHaveLength(3);
    expect((again.output as PeriodicReportOutput).files.csv.sha256).toBe(output.files.csv.sha256);
  });

  it("rejects a day that does not exist and an unknown zone permanently, naming the field", async () => {
    const badDate = await env.run(generateDailyReport, { date: "2023-02-29" });
    expect(badDate.status).toBe("failed");
    expect(badDate.error?.retryable).toBe(false);
    expect(badDate.error?.message).toMatch(/date: "2023-02-29"/);
    const badZone = await env.run(generateDailyReport, { date: "2024-03-31", timeZone: "Mars/Base" });
    expect(badZone.status).toBe("failed");
    expect(badZone.error?.retryable).toBe(false);
    expect(badZone.error?.message).toMatch(/timeZone/);
  });
});

describe("reports.generate_monthly_report", () => {
  it("covers the Berlin month and matches SQL over its local dates", async () => {
    const record = await env.run(generateMonthlyReport, { month: "2024-03", timeZone: ZONE });
    expect(record.error).toBeUndefined();
    const output = record.output as PeriodicReportOutput;
    expect(output.period.start).toBe("2024-02-29T23:00:00.000Z");
    expect(output.period.end).toBe("2024-03-31T22:00:00.000Z");
    const report: PeriodReport = JSON.parse((await env.read(output.files.json.key)).toString());
    const expected = await expectedFigures("2024-03-01", "2024-03-31");
    expect(report.newUsers).toBe(expected.users);
    expect(report.revenue.map((r) => [r.currency, r.grossMinor])).toEqual(
      expected.revenue.map((r) => [r.currency, Number(r.gross)]),
    );
    expect(report.refunds.map((r) => [r.currency, r.amountMinor])).toEqual(
      expected.refunds.map((r) => [r.currency, Number(r.amount)]),
    );
    expect(pdfToText(await env.read(output.files.pdf.key))).toContain(
      "Monthly report 2024-03 (Europe/Berlin)",
    );
  });
});

describe("mailing a report", () => {
  it("sends one mail with links to the three files to the recipients, once per TaskRun", async () => {
    const sink = await startSmtpSink();
    try {
      const options = {
        config: { smtp: { host: sink.host, port: sink.port, from: "reports@synthetiq.test" } },
        taskRun: { namespace: "default", name: "daily-mail", uid: "uid-daily-mail" },
      };
      const input = { date: "2024-04-01", recipients: ["cfo@example.com", "ops@example.com"] };
      const record = await env.run(generateDailyReport, input, options);
      expect(record.error).toBeUndefined();
      expect((record.output as PeriodicReportOutput).mailedTo.sort()).toEqual([
        "cfo@example.com",
        "ops@example.com",
      ]);
      const [mail] = await sink.waitForMails(1);
      expect(mail?.envelope.to.sort()).toEqual(["cfo@example.com", "ops@example.com"]);
      expect(mail?.parsed.subject).toBe("Daily report 2024-04-01 (UTC)");
      const output = record.output as PeriodicReportOutput;
      for (const file of Object.values(output.files)) expect(mail?.parsed.text).toContain(file.link);
      // A retry of the same TaskRun does not mail again.
      const retry = await env.run(generateDailyReport, input, { ...options, attempt: 2 });
      expect(retry.status).toBe("succeeded");
      await new Promise((r) => setTimeout(r, 300));
      expect(sink.mails).toHaveLength(1);
    } finally {
      await sink.stop();
    }
  });
});
