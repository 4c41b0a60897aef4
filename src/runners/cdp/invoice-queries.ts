// The CDP data an invoice is made from: one order with its buyer and lines. Parameterised SQL.
import type { Pool } from "pg";

export interface OrderForInvoice {
  id: number;
  number: string;
  status: string;
  currency: string;
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
  createdAt: Date;
  paidAt: Date | null;
  buyer: {
    name: string;
    email: string;
    locale: string;
    country: string;
    addressLines: string[];
    vatId: string | null;
  };
  lines: { description: string; quantity: number; unitPriceMinor: number; taxRateBp: number }[];
}

/** The order, or null when no order has this id. */
export async function loadOrderForInvoice(pool: Pool, orderId: number): Promise<OrderForInvoice | null> {
  const orders = await pool.query(
    `SELECT o.id, o.number, o.status, o.currency, o.subtotal_minor, o.tax_minor, o.total_minor, o.created_at, o.paid_at,
            u.full_name, u.email, u.locale, u.country, u.address_line1, u.address_line2, u.postal_code, u.city, u.vat_id
     FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1`,
    [orderId],
  );
  const o = orders.rows[0];
  if (!o) return null;
  const lines = await pool.query(
    "SELECT description, quantity, unit_price_minor, tax_rate_bp FROM order_lines WHERE order_id = $1 ORDER BY line_no",
    [orderId],
  );
  const cityLine = [o.postal_code, o.city].filter(Boolean).join(" ");
  return {
    id: Number(o.id),
    number: o.number,
    status: o.status,
    currency: o.currency,
    subtotalMinor: Number(o.subtotal_minor),
    taxMinor: Number(o.tax_minor),
    totalMinor: Number(o.total_minor),
    createdAt: o.created_at,
    paidAt: o.paid_at,
    buyer: {
      name: o.full_name,
      email: o.email,
      locale: o.locale,
      country: o.country,
      addressLines: [o.address_line1, o.address_line2, cityLine, o.country].filter((l): l is string =>
        Boolean(l),
      ),
      vatId: o.vat_id,
    },
    lines: lines.rows.map((l) => ({
      description: l.description,
      quantity: Number(l.quantity),
      unitPriceMinor: Number(l.unit_price_minor),
      taxRateBp: Number(l.tax_rate_bp),
    })),
  };
}
