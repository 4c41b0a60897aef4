// GDPR export on real Postgres and moto's S3: the zip holds every table's rows about the customer
// (checked against SQL here), a README, a matching SHA-256, an expiring link and an audit record.
import { createHash } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import yauzl from "yauzl";
import { CUSTOMER_TABLES } from "../../../src/runners/cdp/customer-queries.ts";
import { seedCdp } from "../../../src/runners/cdp/seed.ts";
import { exportCustomerData } from "../../../src/runners/reports/export-customer-data.ts";
import { type ReportEnv, startReportEnv } from "./report-env.ts";

let env: ReportEnv;
let customerId: number;
type ExportOutput = {
  customerId: number;
  key: string;
  sha256: string;
  bytes: number;
  link: string;
  rowCounts: Record<string, number>;
  auditId: number;
};

async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const archive = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    archive.on("entry", async (entry: yauzl.Entry) => {
      try {
        files.set(entry.fileName, await buffer(await archive.openReadStreamPromise(entry)));
        archive.readEntry();
      } catch (error) {
        reject(error);
      }
    });
    archive.on("end", resolve);
    archive.on("error", reject);
    archive.readEntry();
  });
  return files;
}

beforeAll(async () => {
  env = await startReportEnv({ databaseUrl: inject("databaseUrl"), redisUrl: inject("redisUrl") }, "gdpr");
  await seedCdp(env.db.pool, {
    users: 30,
    models: 12,
    orders: 400,
    from: new Date("2024-06-01Z"),
    to: new Date("2024-06-15Z"),
  });
  // A customer who publishes a model and has orders, and then rows in every other table too.
  const { rows } = await env.db.pool.query("SELECT owner_id::int AS id FROM models ORDER BY id LIMIT 1");
  customerId = rows[0].id;
  const q = (sql: string) => env.db.pool.query(sql, [customerId]);
  await q(`INSERT INTO orders (number, user_id, status, currency, subtotal_minor, tax_minor, total_minor, created_at, paid_at)
           VALUES ('SO-GDPR-1', $1, 'paid', 'EUR', 1000, 190, 1190, '2024-06-02Z', '2024-06-02Z')`);
  await q(`INSERT INTO order_lines (order_id, line_no, model_id, description, quantity, unit_price_minor, tax_rate_bp)
           SELECT id, 1, (SELECT min(id) FROM models), 'Model licence', 1, 1000, 1900 FROM orders WHERE number = 'SO-GDPR-1' AND $1::bigint > 0`);
  await q(`INSERT INTO refunds (order_id, amount_minor, currency, reason)
           SELECT id, 500, 'EUR', 'requested_by_customer' FROM orders WHERE number = 'SO-GDPR-1' AND $1::bigint > 0`);
  await q(`INSERT INTO licenses (user_id, model_id, key_sha256, key_hint)
           VALUES ($1, (SELECT min(id) FROM models), encode(sha256('gdpr-key'::bytea), 'hex'), 'WXYZ')`);
  await q(`INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, 'hash-1', now() + interval '1 day'),
           ($1, 'hash-2', now() - interval '1 day')`);
}, 180_000);
afterAll(() => env?.stop());

/** The customer's row count per table, written independently of the task's queries. */
async function expectedCounts(id: number): Promise<Record<string, number>> {
  const { rows } = await env.db.pool.query(
    `SELECT
       (SELECT count(*) FROM users WHERE id = $1)::int AS users,
       (SELECT count(*) FROM sessions WHERE user_id = $1)::int AS sessions,
       (SELECT count(*) FROM orders WHERE user_id = $1)::int AS orders,
       (SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.user_id = $1)::int AS order_lines,
       (SELECT count(*) FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.user_id = $1)::int AS refunds,
       (SELECT count(*) FROM licenses WHERE user_id = $1)::int AS licenses,
       (SELECT count(*) FROM models WHERE owner_id = $1)::int AS models,
       (SELECT count(*) FROM model_analytics_daily a JOIN models m ON m.id = a.model_id WHERE m.owner_id = $1)::int
         AS model_analytics_daily,
       (SELECT count(*) FROM gdpr_export_audit WHERE customer_id = $1)::int AS gdpr_export_audit`,
    [id],
  );
  return rows[0];
}

describe("reports.export_customer_data", () => {
  it("exports every table with rows about the customer, a README, its checksum, a link and an audit record", async () => {
    // A first export leaves an audit row, so the second one has rows in every table.
    const first = await env.run(exportCustomerData, { customerId, requestedBy: "support:alice" });
    expect(first.error).toBeUndefined();
    // What the archive must hold: everything before this export (its own audit row comes after).
    const expected = await expectedCounts(customerId);
    const record = await env.run(exportCustomerData, { customerId, requestedBy: "support:bob" });
    expect(record.error).toBeUndefined();
    const output = record.output as ExportOutput;

    for (const [table, n] of Object.entries(expected))
      expect(n, `${table} has rows for the customer`).toBeGreaterThan(0);
    expect(output.rowCounts).toEqual(expected);

    const zip = await env.read(output.key);
    expect(createHash("sha256").update(zip).digest("hex")).toBe(output.sha256);
    expect(zip.length).toBe(output.bytes);
    const files = await unzip(zip);
    expect([...files.keys()].sort()).toEqual(
      [...CUSTOMER_TABLES.map((t) => `${t.name}.json`), "README.txt"].sort(),
    );
    for (const [table, n] of Object.entries(expected)) {
      const rows = JSON.parse(files.get(`${table}.json`)?.toString() ?? "null");
      expect(rows, table).toHaveLength(n);
    }
    const user = JSON.parse(files.get("users.json")?.toString() ?? "[]")[0];
    expect(Number(user.id)).toBe(customerId);
    const orders = JSON.parse(files.get("orders.json")?.toString() ?? "[]");
    expect(orders.every((o: { user_id: string }) => Number(o.user_id) === customerId)).toBe(true);
    expect(orders.map((o: { number: string }) => o.number)).toContain("SO-GDPR-1");
    const licenses = JSON.parse(files.get("licenses.json")?.toString() ?? "[]");
    expect(licenses.map((l: { key_hint: string }) => l.key_hint)).toContain("WXYZ");
    const readme = files.get("README.txt")?.toString() ?? "";
    expect(readme).toContain(`Customer id: ${customerId}`);
    expect(readme).toMatch(new RegExp(`order_lines\\.json\\s+${expected.order_lines} rows`));

    expect(output.link).toContain("X-Amz-Expires=86400");
    const audit = await env.db.pool.query("SELECT * FROM gdpr_export_audit WHERE id = $1", [output.auditId]);
    expect(audit.rows[0]).toMatchObject({
      requested_by: "support:bob",
      object_key: output.key,
      sha256: output.sha256,
    });
    expect(Number(audit.rows[0].customer_id)).toBe(customerId);
  });

  it("finds the customer by email, case-insensitively", async () => {
    const { rows } = await env.db.pool.query("SELECT email FROM users WHERE id = $1", [customerId]);
    const record = await env.run(exportCustomerData, {
      email: rows[0].email.toUpperCase(),
      requestedBy: "self-service",
    });
    expect(record.error).toBeUndefined();
    expect((record.output as ExportOutput).customerId).toBe(customerId);
  });

  it("a retry of the same TaskRun replaces its archive and its audit row", async () => {
    const taskRun = { namespace: "default", name: "gdpr-retry", uid: "uid-gdpr-retry" };
    const a = (await env.run(exportCustomerData, { customerId, requestedBy: "x" }, { taskRun }))
      .output as ExportOutput;
    const b = (await env.run(exportCustomerData, { customerId, requestedBy: "x" }, { taskRun, attempt: 2 }))
      .output as ExportOutput;
    expect(b.key).toBe(a.key);
    expect(b.auditId).toBe(a.auditId);
    const audits = await env.db.pool.query(
      "SELECT count(*)::int AS n FROM gdpr_export_audit WHERE task_run = 'default/gdpr-retry'",
    );
    expect(audits.rows[0].n).toBe(1);
  });

  it("fails permanently with a clear message for an unknown customer", async () => {
    const record = await env.run(exportCustomerData, {
      customerId: 99_999_999,
      requestedBy: "support:alice",
    });
    expect(record.status).toBe("failed");
    expect(record.error?.retryable).toBe(false);
    expect(record.error?.message).toContain("customerId: no customer with id 99999999");
    const neither = await env.run(exportCustomerData, { requestedBy: "support:alice" });
    expect(neither.error?.retryable).toBe(false);
    expect(neither.error?.message).toContain("exactly one of customerId or email");
  });
});
