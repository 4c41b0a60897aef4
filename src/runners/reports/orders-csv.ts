// The period's orders as CSV (RFC 4180), produced batch by batch from a row stream so that the
// file can be any size while memory stays bounded.
import { Readable } from "node:stream";
import type { OrderRow } from "../cdp/report-queries.ts";
import { decimalString } from "./money.ts";

export const ORDERS_CSV_HEADER = "order_number,created_at,user_id,status,currency,net,tax,gross,refunded";

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function orderCsvLine(row: OrderRow): string {
  return [
    row.number,
    row.created_at.toISOString(),
    String(row.user_id),
    row.status,
    row.currency,
    decimalString(row.subtotal_minor, row.currency),
    decimalString(row.tax_minor, row.currency),
    decimalString(row.total_minor, row.currency),
    decimalString(row.refunded_minor, row.currency),
  ]
    .map(csvField)
    .join(",");
}

/** A byte stream of the CSV; `counter.rows` holds the number of data rows once it has ended. */
export function ordersCsvStream(batches: AsyncIterable<OrderRow[]>, counter: { rows: number }): Readable {
  async function* lines() {
    yield `${ORDERS_CSV_HEADER}\r\n`;
    for await (const batch of batches) {
      counter.rows += batch.length;
      yield `${batch.map(orderCsvLine).join("\r\n")}\r\n`;
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
