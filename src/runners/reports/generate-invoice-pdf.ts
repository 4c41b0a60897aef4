// reports.generate_invoice_pdf: an invoice PDF from an order id or a full invoice, stored under
// its invoice number. Same input, same bytes: a retry rewrites the identical file.
import { z } from "zod";
import { defineTask, PermanentError, type TaskContext } from "../sdk/task.ts";
import { computeInvoiceTotals, type Invoice, invoiceSchema } from "./invoice.ts";
import { isLocale } from "./money.ts";

export const invoiceInput = z.union([
  z.object({
    orderId: z.number().int().positive().describe("Build the invoice from this CDP order"),
    locale: z
      .string()
      .refine(isLocale, "not a BCP 47 locale such as de-DE")
      .optional()
      .describe("Override the buyer's locale for amounts"),
  }),
  z.object({ invoice: invoiceSchema.describe("A complete invoice, for orders outside the CDP") }),
]);

export const invoiceOutput = z.object({
  invoiceNumber: z.string(),
  key: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  link: z.string(),
  currency: z.string(),
  netMinor: z.number(),
  taxMinor: z.number(),
  grossMinor: z.number(),
});

/** The invoice number of an order: its number with INV instead of SO ("SO-2024-00000042" → "INV-2024-00000042"). */
export function invoiceNumberOf(orderNumber: string): string {
  return `INV-${orderNumber.replace(/^SO-/, "")}`;
}

async function invoiceFromOrder(
  orderId: number,
  locale: string | undefined,
  ctx: TaskContext,
): Promise<Invoice> {
  const { loadOrderForInvoice } = await import("../cdp/invoice-queries.ts");
  const order = await loadOrderForInvoice(ctx.services.database(), orderId);
  if (!order)
    throw new PermanentError(`orderId: no order with id ${orderId} exists`, { type: "OrderNotFound" });
  if (order.status === "cancelled") {
    throw new PermanentError(`orderId: order ${order.number} is cancelled and cannot be invoiced`, {
      type: "OrderCancelled",
    });
  }
  const totals = computeInvoiceTotals(order.lines);
  if (totals.netMinor !== order.subtotalMinor || totals.taxMinor !== order.taxMinor) {
    throw new PermanentError(
      `order ${order.number}: stored totals (net ${order.subtotalMinor}, tax ${order.taxMinor}) disagree with its lines ` +
        `(net ${totals.netMinor}, tax ${totals.taxMinor}); refusing to issue an invoice`,
      { type: "OrderInconsistent" },
    );
  }
  const seller = ctx.services.config().reports;
  return invoiceSchema.parse({
    invoiceNumber: invoiceNumberOf(order.number),
    issueDate: (order.paidAt ?? order.createdAt).toISOString().slice(0, 10),
    currency: order.currency,
    locale: locale ?? order.buyer.locale,
    orderNumber: order.number,
    seller: {
      name: seller.sellerName,
      addressLines: seller.sellerAddress.split(/\n|\\n|\|/).filter(Boolean),
      ...(seller.sellerVatId ? { vatId: seller.sellerVatId } : {}),
    },
    buyer: {
      name: order.buyer.name,
      addressLines: order.buyer.addressLines,
      email: order.buyer.email,
      ...(order.buyer.vatId ? { vatId: order.buyer.vatId } : {}),
    },
    lines: order.lines,
  });
}

export const generateInvoicePdf = defineTask({
  name: "reports.generate_invoice_pdf",
  queue: "reports",
  description:
    "Invoice PDF (seller, buyer, lines, tax per rate, totals) from an order id or a full invoice; byte-identical on retry",
  input: invoiceInput,
  output: invoiceOutput,
  retry: { maxAttempts: 3, backoff: { initialSeconds: 30, factor: 2 } },
  timeouts: { softSeconds: 120, hardSeconds: 180 },
  async run(input, ctx) {
    const invoice =
      "invoice" in input ? input.invoice : await invoiceFromOrder(input.orderId, input.locale, ctx);
    const { renderInvoicePdf } = await import("./invoice-pdf.ts");
    const pdf = await renderInvoicePdf(invoice);
    const store = ctx.services.artifacts();
    const stored = await store.put(`invoices/${invoice.invoiceNumber}.pdf`, pdf, {
      contentType: "application/pdf",
    });
    const totals = computeInvoiceTotals(invoice.lines);
    return {
      invoiceNumber: invoice.invoiceNumber,
      key: stored.key,
      bytes: stored.bytes,
      sha256: stored.sha256,
      link: await store.link(stored.key, ctx.services.config().reports.linkExpirySeconds),
      currency: invoice.currency,
      netMinor: totals.netMinor,
      taxMinor: totals.taxMinor,
      grossMinor: totals.grossMinor,
    };
  },
});
