// The CDP data behind the daily and monthly reports: KPI aggregates for a period and the period's
// orders as a stream. Parameterised SQL only; periods are half-open [start, end).
import type { Pool } from "pg";
import { type StreamOptions, streamRowBatches } from "./cursor.ts";

export interface PeriodRange {
  start: Date;
  end: Date;
  /** Calendar dates of the analytics buckets in the period, inclusive (YYYY-MM-DD). */
  firstDate: string;
  lastDate: string;
}

export interface CurrencyRevenue {
  currency: string;
  paidOrders: number;
  netMinor: number;
  taxMinor: number;
  grossMinor: number;
}

export interface CurrencyRefunds {
  currency: string;
  refunds: number;
  amountMinor: number;
}

export interface ModelUsage {
  modelId: number;
  name: string;
  views: number;
  downloads: number;
}

export interface PeriodData {
  newUsers: number;
  ordersByStatus: Record<string, number>;
  revenue: CurrencyRevenue[];
  refunds: CurrencyRefunds[];
  topModelsByViews: ModelUsage[];
  topModelsByDownloads: ModelUsage[];
}

export interface OrderRow {
  number: string;
  created_at: Date;
  user_id: string;
  status: string;
  currency: string;
  subtotal_minor: string;
  tax_minor: string;
  total_minor: string;
  refunded_minor: string;
}

/** Postgres bigint/numeric arrive as strings; KPI sums stay far below 2^53. */
function int(value: string | number | null): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`value ${value} does not fit a safe integer`);
  return n;
}

const TOP_MODELS_SQL = (orderBy: "views" | "downloads") => `
  SELECT m.id AS model_id, m.name, sum(a.views) AS views, sum(a.downloads) AS downloads
  FROM model_analytics_daily a JOIN models m ON m.id = a.model_id
  WHERE a.day BETWEEN $1::date AND $2::date
  GROUP BY m.id, m.name
  ORDER BY sum(a.${orderBy}) DESC, m.id
  LIMIT $3`;

export async function loadPeriodData(
  pool: Pool,
  period: PeriodRange,
  topModels: number,
): Promise<PeriodData> {
  const range = [period.start, period.end];
  const days = [period.firstDate, period.lastDate, topModels];
  const [users, statuses, revenue, refunds, byViews, byDownloads] = await Promise.all([
    pool.query<{ count: string }>(
      "SELECT count(*) FROM users WHERE created_at >= $1 AND created_at < $2",
      range,
    ),
    pool.query<{ status: string; count: string }>(
      "SELECT status, count(*) FROM orders WHERE created_at >= $1 AND created_at < $2 GROUP BY status ORDER BY status",
      range,
    ),
    pool.query<{ currency: string; count: string; net: string; tax: string; gross: string }>(
      `SELECT currency, count(*), sum(subtotal_minor) AS net, sum(tax_minor) AS tax, sum(total_minor) AS gross
       FROM orders WHERE status = 'paid' AND created_at >= $1 AND created_at < $2
       GROUP BY currency ORDER BY currency`,
      range,
    ),
    pool.query<{ currency: string; count: string; amount: string }>(
      `SELECT currency, count(*), sum(amount_minor) AS amount
       FROM refunds WHERE created_at >= $1 AND created_at < $2 GROUP BY currency ORDER BY currency`,
      range,
    ),
    pool.query<{ model_id: string; name: string; views: string; downloads: string }>(
      TOP_MODELS_SQL("views"),
      days,
    ),
    pool.query<{ model_id: string; name: string; views: string; downloads: string }>(
      TOP_MODELS_SQL("downloads"),
      days,
    ),
  ]);
  const usage = (
    rows: { model_id: string; name: string; views: string; downloads: string }[],
  ): ModelUsage[] =>
    rows.map((r) => ({
      modelId: int(r.model_id),
      name: r.name,
      views: int(r.views),
      downloads: int(r.downloads),
    }));
  return {
    newUsers: int(users.rows[0]?.count ?? 0),
    ordersByStatus: Object.fromEntries(statuses.rows.map((r) => [r.status, int(r.count)])),
    revenue: revenue.rows.map((r) => ({
      currency: r.currency,
      paidOrders: int(r.count),
      netMinor: int(r.net),
      taxMinor: int(r.tax),
      grossMinor: int(r.gross),
    })),
    refunds: refunds.rows.map((r) => ({
      currency: r.currency,
      refunds: int(r.count),
      amountMinor: int(r.amount),
    })),
    topModelsByViews: usage(byViews.rows),
    topModelsByDownloads: usage(byDownloads.rows),
  };
}

/** The period's orders, oldest first, with what has been refunded on each so far. */
export function streamPeriodOrders(
  pool: Pool,
  period: PeriodRange,
  options?: StreamOptions,
): AsyncGenerator<OrderRow[]> {
  return streamRowBatches<OrderRow>(
    pool,
    `SELECT o.number, o.created_at, o.user_id, o.status, o.currency, o.subtotal_minor, o.tax_minor, o.total_minor,
            coalesce(r.amount, 0) AS refunded_minor
     FROM orders o
     LEFT JOIN (SELECT order_id, sum(amount_minor) AS amount FROM refunds GROUP BY order_id) r ON r.order_id = o.id
     WHERE o.created_at >= $1 AND o.created_at < $2
     ORDER BY o.created_at, o.id`,
    [period.start, period.end],
    options,
  );
}
