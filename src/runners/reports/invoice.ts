// An invoice as data: its schema (the task's full-input form) and the arithmetic — line amounts,
// tax per rate (rounded half up once per rate, not per line) and totals, in integer minor units.
import { z } from "zod";
import { isLocale } from "./money.ts";

const party = z.object({
  name: z.string().min(1).max(200),
  addressLines: z.array(z.string().max(200)).max(8).default([]),
  email: z.email().optional(),
  vatId: z.string().max(40).optional(),
});

export const invoiceLineSchema = z.object({
  description: z.string().min(1).max(300),
  quantity: z.number().int().positive().max(1_000_000),
  /** Net unit price in the currency's minor unit. */
  unitPriceMinor: z.number().int().min(0).max(1e12),
  /** Tax rate in basis points: 1900 = 19 %. */
  taxRateBp: z.number().int().min(0).max(10_000),
});

export const invoiceSchema = z.object({
  invoiceNumber: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-', up to 64"),
  issueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD"),
  currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as EUR"),
  locale: z.string().refine(isLocale, "not a BCP 47 locale such as de-DE").default("en-US"),
  orderNumber: z.string().max(64).optional(),
  seller: party,
  buyer: party,
  lines: z.array(invoiceLineSchema).min(1).max(1000),
  notes: z.string().max(2000).optional(),
});

export type Invoice = z.output<typeof invoiceSchema>;
export type InvoiceLine = z.output<typeof invoiceLineSchema>;

export interface InvoiceTotals {
  lineNetMinor: number[];
  /** One entry per tax rate, highest rate first. */
  taxes: { rateBp: number; netMinor: number; taxMinor: number }[];
  netMinor: number;
  taxMinor: number;
  grossMinor: number;
}

/** net × rate / 10000, rounded half up, exactly (BigInt: no float error for any amount). */
export function taxOf(netMinor: number, rateBp: number): number {
  return Number((BigInt(netMinor) * BigInt(rateBp) + 5000n) / 10000n);
}

export function computeInvoiceTotals(lines: readonly InvoiceLine[]): InvoiceTotals {
  const lineNetMinor = lines.map((line) => line.quantity * line.unitPriceMinor);
  const netByRate = new Map<number, number>();
  lines.forEach((line, i) => {
    netByRate.set(line.taxRateBp, (netByRate.get(line.taxRateBp) ?? 0) + (lineNetMinor[i] ?? 0));
  });
  const taxes = [...netByRate.entries()]
    .sort(([a], [b]) => b - a)
    .map(([rateBp, netMinor]) => ({ rateBp, netMinor, taxMinor: taxOf(netMinor, rateBp) }));
  const netMinor = lineNetMinor.reduce((sum, n) => sum + n, 0);
  const taxMinor = taxes.reduce((sum, t) => sum + t.taxMinor, 0);
  if (!Number.isSafeInteger(netMinor + taxMinor))
    throw new RangeError("the invoice total is too large to represent exactly");
  return { lineNetMinor, taxes, netMinor, taxMinor, grossMinor: netMinor + taxMinor };
}
