// Benchmark (not a test): reports.generate_daily_report over a day holding 1,000,000 orders, on a
// throw-away Postgres and a local artifact directory. Prints seed time, report time and the peak
// RSS of this process (the runner's), against the targets: < 30 s and < 300 MB.
// Run: node bench/reports-daily.ts [--orders 1000000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../src/runners/cdp/migrate.ts";
import { seedCdp } from "../src/runners/cdp/seed.ts";
import { generateDailyReport } from "../src/runners/reports/generate-daily-report.ts";
import type { PeriodicReportOutput } from "../src/runners/reports/periodic-report.ts";
import { runTaskInProcess } from "../src/runners/sdk/in-process.ts";
import { startPostgres, startRedis } from "../test/harness/services.ts";

const { values } = parseArgs({ options: { orders: { type: "string", default: "1000000" } } });
const orders = Number(values.orders);
const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
const artifacts = mkdtempSync(join(tmpdir(), "bench-reports-"));
try {
  const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
  await migrate(pool);
  let t = performance.now();
  const seeded = await seedCdp(pool, {
    users: 100_000,
    models: 1_000,
    orders,
    from: new Date("2024-03-31T00:00:00Z"),
    to: new Date("2024-04-01T00:00:00Z"),
    onStep: (statement, ms) => console.error(`seed ${Math.round(ms)} ms: ${statement}`),
  });
  const seedSeconds = (performance.now() - t) / 1000;
  await pool.end();

  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 50);
  t = performance.now();
  const record = await runTaskInProcess(
    generateDailyReport,
    { date: "2024-03-31", timeZone: "UTC" },
    { redisUrl: redis.url, databaseUrl: postgres.url, config: { artifacts: { dir: artifacts } } },
  );
  const reportSeconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (record.status !== "succeeded") throw new Error(`report failed: ${JSON.stringify(record.error)}`);
  const output = record.output as PeriodicReportOutput;
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  console.log(
    JSON.stringify({
      bench: "reports-daily",
      seeded,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      orderRows: output.orderRows,
      csvMB: mb(output.files.csv.bytes),
      reportSeconds: Number(reportSeconds.toFixed(1)),
      rssBeforeMB: mb(rssBefore),
      peakRssMB: mb(peakRss),
      peakHeapUsedMB: mb(peakHeap),
      maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
      targets: { reportSeconds: 30, peakRssMB: 300 },
      pass: reportSeconds < 30 && peakRss < 300 * 1024 * 1024,
    }),
  );
} finally {
  rmSync(artifacts, { recursive: true, force: true });
  await Promise.all([postgres.stop(), redis.stop()]);
}
