// Benchmark (not a test): reports.export_customer_data for one very large customer (every seeded
// order belongs to them), on a throw-away Postgres and a local artifact directory. Shows that the
// archive is streamed: peak RSS stays flat while the zip grows. Target: < 300 MB RSS.
// Run: node bench/reports-gdpr-export.ts [--orders 300000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../src/runners/cdp/migrate.ts";
import { seedCdp } from "../src/runners/cdp/seed.ts";
import { exportCustomerData } from "../src/runners/reports/export-customer-data.ts";
import { runTaskInProcess } from "../src/runners/sdk/in-process.ts";
import { startPostgres, startRedis } from "../test/harness/services.ts";

const { values } = parseArgs({ options: { orders: { type: "string", default: "300000" } } });
const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
const artifacts = mkdtempSync(join(tmpdir(), "bench-gdpr-"));
try {
  const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
  await migrate(pool);
  const seeded = await seedCdp(pool, {
    users: 1,
    models: 20,
    orders: Number(values.orders),
    from: new Date("2024-01-01T00:00:00Z"),
    to: new Date("2024-02-01T00:00:00Z"),
  });
  await pool.end();

  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  const record = await runTaskInProcess(
    exportCustomerData,
    { customerId: 1, requestedBy: "bench" },
    { redisUrl: redis.url, databaseUrl: postgres.url, config: { artifacts: { dir: artifacts } } },
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (record.status !== "succeeded") throw new Error(`export failed: ${JSON.stringify(record.error)}`);
  const output = record.output as { bytes: number; rowCounts: Record<string, number> };
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  console.log(
    JSON.stringify({
      bench: "reports-gdpr-export",
      seeded,
      rows: Object.values(output.rowCounts).reduce((a, b) => a + b, 0),
      zipMB: mb(output.bytes),
      seconds: Number(seconds.toFixed(1)),
      rssBeforeMB: mb(rssBefore),
      peakRssMB: mb(peakRss),
      pass: peakRss < 300 * 1024 * 1024,
    }),
  );
} finally {
  rmSync(artifacts, { recursive: true, force: true });
  await Promise.all([postgres.stop(), redis.stop()]);
}
