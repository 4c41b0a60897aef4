// Everything the CDP holds about one customer, table by table, for GDPR exports; and the export
// audit trail. Parameterised SQL only; each table's rows are streamed through a cursor.
import type { Pool } from "pg";
import { type StreamOptions, streamRowBatches } from "./cursor.ts";

export interface CustomerTable {
  /** The file name in the archive is `<name>.json`. */
  name: string;
  description: string;
  /** Selects the customer's rows; $1 is the customer id. */
  sql: string;
}

const OWN_ORDERS = "SELECT id FROM orders WHERE user_id = $1";
const OWN_MODELS = "SELECT id FROM models WHERE owner_id = $1";

/** Every table with personal data, in archive order. A new table with customer data belongs here. */
export const CUSTOMER_TABLES: readonly CustomerTable[] = [
  {
    name: "users",
    description: "Your account: identity, billing address, preferences",
    sql: "SELECT * FROM users WHERE id = $1",
  },
  {
    name: "sessions",
    description: "Your sign-in sessions (the session token is stored only as a hash)",
    sql: "SELECT * FROM sessions WHERE user_id = $1 ORDER BY created_at, id",
  },
  {
    name: "orders",
    description: "Your orders with totals in minor currency units",
    sql: "SELECT * FROM orders WHERE user_id = $1 ORDER BY id",
  },
  {
    name: "order_lines",
    description: "The lines of your orders",
    sql: `SELECT * FROM order_lines WHERE order_id IN (${OWN_ORDERS}) ORDER BY order_id, line_no`,
  },
  {
    name: "refunds",
    description: "Refunds on your orders",
    sql: `SELECT * FROM refunds WHERE order_id IN (${OWN_ORDERS}) ORDER BY id`,
  },
  {
    name: "licenses",
    description: "Your model licences (the key itself is never stored: only its SHA-256 and last characters)",
    sql: "SELECT * FROM licenses WHERE user_id = $1 ORDER BY id",
  },
  {
    name: "models",
    description: "Models you published",
    sql: "SELECT * FROM models WHERE owner_id = $1 ORDER BY id",
  },
  {
    name: "model_analytics_daily",
    description: "Daily view and download counts of the models you published",
    sql: `SELECT * FROM model_analytics_daily WHERE model_id IN (${OWN_MODELS}) ORDER BY model_id, day`,
  },
  {
    name: "gdpr_export_audit",
    description: "Earlier exports of your data: who asked and when",
    sql: "SELECT * FROM gdpr_export_audit WHERE customer_id = $1 ORDER BY id",
  },
];

export interface CustomerIdentity {
  id: number;
  email: string;
}

/** The customer by id or email, or null when there is none. */
export async function findCustomer(
  pool: Pool,
  by: { customerId: number } | { email: string },
): Promise<CustomerIdentity | null> {
  const { rows } =
    "customerId" in by
      ? await pool.query<{ id: string; email: string }>("SELECT id, email FROM users WHERE id = $1", [
          by.customerId,
        ])
      : await pool.query<{ id: string; email: string }>(
          "SELECT id, email FROM users WHERE lower(email) = lower($1)",
          [by.email],
        );
  const row = rows[0];
  return row ? { id: Number(row.id), email: row.email } : null;
}

export function streamCustomerRows(
  pool: Pool,
  table: CustomerTable,
  customerId: number,
  options?: StreamOptions,
): AsyncGenerator<Record<string, unknown>[]> {
  return streamRowBatches<Record<string, unknown>>(pool, table.sql, [customerId], {
    batchSize: 1000,
    ...options,
  });
}

export interface ExportAudit {
  customerId: number;
  requestedBy: string;
  taskRun: string;
  objectKey: string;
  sha256: string;
  bytes: number;
  linkExpiresAt: Date;
}

/** Records the export; a retry of the same TaskRun updates its row rather than adding one. */
export async function recordExportAudit(
  pool: Pool,
  audit: ExportAudit,
): Promise<{ id: number; requestedAt: Date }> {
  const { rows } = await pool.query<{ id: string; requested_at: Date }>(
    `INSERT INTO gdpr_export_audit (customer_id, requested_by, task_run, object_key, sha256, bytes, link_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (task_run) DO UPDATE SET requested_by = excluded.requested_by, requested_at = now(),
       object_key = excluded.object_key, sha256 = excluded.sha256, bytes = excluded.bytes, link_expires_at = excluded.link_expires_at
     RETURNING id, requested_at`,
    [
      audit.customerId,
      audit.requestedBy,
      audit.taskRun,
      audit.objectKey,
      audit.sha256,
      audit.bytes,
      audit.linkExpiresAt,
    ],
  );
  return { id: Number(rows[0]?.id), requestedAt: rows[0]!.requested_at };
}
