// Realistic, reproducible CDP data of a chosen size, generated inside Postgres with
// generate_series (no rows cross the wire), so a million orders seed in seconds. Used by the seed
// script, the tests and the benchmarks.
import type { Pool } from "pg";

export interface SeedOptions {
  users: number;
  models: number;
  orders: number;
  /** Orders, refunds, users and analytics are spread over [from, to). */
  from: Date;
  to: Date;
  /** Same seed, same data (Postgres' setseed: -1..1). */
  seed?: number;
  /** Called after each statement with its first words and duration (progress, benchmarks). */
  onStep?: (statement: string, ms: number) => void;
}

export interface SeedCounts {
  users: number;
  models: number;
  orders: number;
  orderLines: number;
  refunds: number;
  licenses: number;
  modelAnalyticsDaily: number;
}

// Currency, tax rates (basis points) and the country a buyer in that currency lives in.
const SEED_SQL = [
  `CREATE TEMP TABLE seed_currencies (idx int, currency char(3), country char(2), locale text, rate_a int, rate_b int) ON COMMIT DROP`,
  `INSERT INTO seed_currencies VALUES
     (0, 'EUR', 'DE', 'de-DE', 1900, 700), (1, 'USD', 'US', 'en-US', 0, 0),
     (2, 'GBP', 'GB', 'en-GB', 2000, 0), (3, 'JPY', 'JP', 'ja-JP', 1000, 800)`,
  // Users: ids continue after existing rows so the seed can be run on a non-empty database.
  `INSERT INTO users (email, full_name, locale, country, address_line1, postal_code, city, vat_id, marketing_opt_in, created_at)
   SELECT 'user' || g || '.' || s.base || '@example.com', 'Customer ' || (s.base + g), c.locale, c.country,
          (g % 200 + 1) || ' Market Street', lpad((g % 99999)::text, 5, '0'), 'City ' || (g % 50),
          CASE WHEN g % 10 = 0 THEN c.country || lpad(g::text, 9, '0') END, g % 3 = 0,
          {from}::timestamptz + random() * ({to}::timestamptz - {from}::timestamptz)
   FROM generate_series(1, {users}::int) g
   CROSS JOIN (SELECT coalesce(max(id), 0) AS base FROM users) s
   JOIN seed_currencies c ON c.idx = g % 4`,
  `CREATE TEMP TABLE seed_user_ids ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, country FROM users`,
  `INSERT INTO models (owner_id, slug, name, framework, visibility, created_at)
   SELECT u.id, 'model-' || (s.base + g), 'Model ' || (s.base + g),
          (ARRAY['pytorch', 'onnx', 'safetensors', 'gguf'])[1 + g % 4], CASE WHEN g % 7 = 0 THEN 'private' ELSE 'public' END,
          {from}::timestamptz
   FROM generate_series(1, {models}::int) g
   CROSS JOIN (SELECT coalesce(max(id), 0) AS base FROM models) s
   JOIN seed_user_ids u ON u.n = (g * 7919) % (SELECT count(*) FROM seed_user_ids)`,
  `CREATE TEMP TABLE seed_model_ids ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, name FROM models`,
  `ANALYZE seed_user_ids, seed_model_ids`,
  // One row per order line: 1-3 lines per order, each on one model, with one of the currency's
  // rates. Order ids follow creation time, so every index on orders is filled in key order.
  `CREATE TEMP TABLE seed_lines ON COMMIT DROP AS
   WITH r AS (
     SELECT {from}::timestamptz + random() * ({to}::timestamptz - {from}::timestamptz) AS created_at
     FROM generate_series(1, {orders}::int)
   ), o AS (
     SELECT s.base + row_number() OVER (ORDER BY r.created_at) AS order_id, r.created_at,
            (random() * 2.999)::int + 1 AS line_count, random() AS status_roll,
            (random() * ((SELECT count(*) FROM seed_user_ids) - 1))::bigint AS user_n
     FROM r CROSS JOIN (SELECT coalesce(max(id), 0) AS base FROM orders) s
   )
   SELECT o.order_id, o.created_at, o.status_roll, u.id AS user_id, c.currency, k AS line_no,
          (random() * ((SELECT count(*) FROM seed_model_ids) - 1))::bigint AS model_n,
          1 + (random() * random() * 4)::int AS quantity,
          500 + (random() * 49500)::int AS unit_price_minor,
          CASE WHEN random() < 0.8 THEN c.rate_a ELSE c.rate_b END AS tax_rate_bp
   FROM o
   JOIN seed_user_ids u ON u.n = o.user_n
   JOIN seed_currencies c ON c.country = u.country
   CROSS JOIN LATERAL generate_series(1, o.line_count) k`,
  `ANALYZE seed_lines`,
  `INSERT INTO orders (id, number, user_id, status, currency, subtotal_minor, tax_minor, total_minor, created_at, paid_at)
   SELECT order_id, 'SO-' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY') || '-' || lpad(order_id::text, 8, '0'),
          user_id, status, currency, sum(net), sum(tax), sum(net) + sum(tax), created_at,
          CASE WHEN status = 'paid' THEN created_at + interval '2 minutes' END
   FROM (
     SELECT order_id, min(user_id) AS user_id, min(currency) AS currency, min(created_at) AS created_at,
            CASE WHEN min(status_roll) < 0.90 THEN 'paid' WHEN min(status_roll) < 0.95 THEN 'pending' ELSE 'cancelled' END AS status,
            sum(quantity * unit_price_minor) AS net,
            round(sum(quantity * unit_price_minor) * tax_rate_bp / 10000.0)::bigint AS tax
     FROM seed_lines GROUP BY order_id, tax_rate_bp
   ) per_rate
   GROUP BY order_id, user_id, currency, created_at, status
   ORDER BY order_id`,
  `INSERT INTO order_lines (order_id, line_no, model_id, description, quantity, unit_price_minor, tax_rate_bp)
   SELECT l.order_id, l.line_no, m.id, m.name || ' licence', l.quantity, l.unit_price_minor, l.tax_rate_bp
   FROM seed_lines l JOIN seed_model_ids m ON m.n = l.model_n
   ORDER BY l.order_id, l.line_no`,
  `SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders))`,
  // 3 % of paid orders are refunded, a third of them partially, within ten days.
  `INSERT INTO refunds (order_id, amount_minor, currency, reason, created_at)
   SELECT id, CASE WHEN id % 3 = 0 THEN greatest(1, total_minor / 2) ELSE total_minor END, currency,
          (ARRAY['requested_by_customer', 'duplicate', 'fraudulent'])[1 + id % 3],
          created_at + random() * interval '10 days'
   FROM orders WHERE status = 'paid' AND random() < 0.03 AND id > {ordersBefore}::bigint`,
  // Every paid order grants a licence for the model of its first line (read from the generated
  // lines: an order's lines share its status roll, so "paid" is status_roll < 0.90 as above).
  `INSERT INTO licenses (user_id, model_id, order_id, key_sha256, key_hint, status, issued_at, expires_at)
   SELECT l.user_id, m.id, l.order_id, encode(sha256(('licence-' || l.order_id)::bytea), 'hex'), right(l.order_id::text, 4),
          CASE WHEN l.order_id % 50 = 0 THEN 'revoked' ELSE 'active' END,
          l.created_at + interval '2 minutes', l.created_at + interval '2 minutes' + interval '1 year'
   FROM seed_lines l JOIN seed_model_ids m ON m.n = l.model_n
   WHERE l.line_no = 1 AND l.status_roll < 0.90
   ORDER BY 4`,
  `INSERT INTO model_analytics_daily (model_id, day, views, downloads)
   SELECT m.id, d::date, v, (v * random() * 0.2)::bigint
   FROM seed_model_ids m
   CROSS JOIN generate_series(({from}::timestamptz AT TIME ZONE 'UTC')::date, ({to}::timestamptz AT TIME ZONE 'UTC')::date - 1, interval '1 day') d
   CROSS JOIN LATERAL (SELECT (random() * 1000 * (1 + m.n % 5))::bigint AS v) views
   ON CONFLICT (model_id, day) DO UPDATE SET views = model_analytics_daily.views + excluded.views,
     downloads = model_analytics_daily.downloads + excluded.downloads`,
];

/** Turns `{name}` placeholders into $1..$n with their values: parameters, never interpolation. */
function bindNamed(sql: string, values: Record<string, unknown>): { text: string; values: unknown[] } {
  const names: string[] = [];
  const text = sql.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`seed SQL uses {${name}}, which has no value`);
    if (!names.includes(name)) names.push(name);
    return `$${names.indexOf(name) + 1}`;
  });
  return { text, values: names.map((name) => values[name]) };
}

function positiveInt(name: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

/** Inserts the data in one transaction and returns how many rows each table received. */
export async function seedCdp(pool: Pool, options: SeedOptions): Promise<SeedCounts> {
  positiveInt("users", options.users, 1);
  positiveInt("models", options.models, 1);
  positiveInt("orders", options.orders, 0);
  if (!(options.from < options.to)) throw new RangeError("from must be before to");
  const client = await pool.connect();
  const counts = async () => {
    const { rows } = await client.query<Record<keyof SeedCounts, string>>(
      `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM models) AS models,
              (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_lines) AS "orderLines",
              (SELECT count(*) FROM refunds) AS refunds, (SELECT count(*) FROM licenses) AS licenses,
              (SELECT count(*) FROM model_analytics_daily) AS "modelAnalyticsDaily"`,
    );
    return Object.fromEntries(
      Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)]),
    ) as unknown as SeedCounts;
  };
  try {
    await client.query("BEGIN");
    const before = await counts();
    const { rows } = await client.query<{ max: string }>("SELECT coalesce(max(id), 0) AS max FROM orders");
    const ordersBefore = rows[0]!.max;
    await client.query("SELECT setseed($1)", [options.seed ?? 0.42]);
    // Hash aggregates and joins over millions of generated rows stay in memory.
    await client.query("SET LOCAL work_mem = '256MB'");
    // The generated rows reference each other correctly by construction; a superuser may skip the
    // per-row foreign-key triggers (3x faster). Other roles keep the checks.
    await client.query("SAVEPOINT fast_load");
    try {
      await client.query("SET LOCAL session_replication_role = replica");
      await client.query("RELEASE SAVEPOINT fast_load");
    } catch {
      await client.query("ROLLBACK TO SAVEPOINT fast_load");
    }
    const values = { ...options, ordersBefore };
    for (const sql of SEED_SQL) {
      const started = performance.now();
      await client.query(bindNamed(sql, values));
      options.onStep?.(sql.replace(/\s+/g, " ").slice(0, 60), performance.now() - started);
    }
    await client.query("COMMIT");
    const after = await counts();
    await client.query("ANALYZE");
    return Object.fromEntries(
      Object.keys(after).map((k) => [k, after[k as keyof SeedCounts] - before[k as keyof SeedCounts]]),
    ) as unknown as SeedCounts;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
