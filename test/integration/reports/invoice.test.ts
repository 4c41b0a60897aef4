// Invoice PDFs from CDP orders and from full input: figures in the text, identical bytes across
// runs, stored with their SHA-256 (moto S3, real Postgres).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedCdp } from "../../../src/runners/cdp/seed.ts";
import { generateInvoicePdf, invoiceNumberOf } from "../../../src/runners/reports/generate-invoice-pdf.ts";
import { formatMoney } from "../../../src/runners/reports/money.ts";
import { pdfToText, renderFirstPage } from "./pdf-tools.ts";
import { type ReportEnv, startReportEnv } from "./report-env.ts";

let env: ReportEnv;
type InvoiceOutput = {
  invoiceNumber: string;
  key: string;
  sha256: string;
  bytes: number;
  grossMinor: number;
  link: string;
};

beforeAll(async () => {
  env = await startReportEnv({ databaseUrl: inject("databaseUrl"), redisUrl: inject("redisUrl") }, "invoice");
  await seedCdp(env.db.pool, {
    users: 40,
    models: 10,
    orders: 300,
    from: new Date("2024-05-01Z"),
    to: new Date("2024-05-08Z"),
  });
}, 180_000);
afterAll(() => env?.stop());

const text = (s: string) => s.replace(/[\u00a0\u202f]/g, " ");

/** A paid order in `currency` with at least two lines, read independently of the task's queries. */
async function paidOrder(currency: string, rates = 1) {
  const { rows } = await env.db.pool.query(
    `SELECT o.id::int, o.number, o.total_minor::bigint AS total, o.tax_minor::bigint AS tax, u.full_name, u.locale
     FROM orders o JOIN users u ON u.id = o.user_id
     WHERE o.status = 'paid' AND o.currency = $1
       AND (SELECT count(DISTINCT tax_rate_bp) FROM order_lines l WHERE l.order_id = o.id) >= $2
       AND (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) >= 2
     ORDER BY o.id LIMIT 1`,
    [currency, rates],
  );
  expect(rows[0], `a paid ${currency} order with two lines and ${rates} tax rate(s)`).toBeDefined();
  return rows[0] as {
    id: number;
    number: string;
    total: string;
    tax: string;
    full_name: string;
    locale: string;
  };
}

describe("reports.generate_invoice_pdf", () => {
  it("builds the invoice of a CDP order with the buyer, lines and totals in the buyer's locale", async () => {
    const order = await paidOrder("EUR", 2);
    const record = await env.run(generateInvoicePdf, { orderId: order.id });
    expect(record.error).toBeUndefined();
    const output = record.output as InvoiceOutput;
    expect(output.invoiceNumber).toBe(invoiceNumberOf(order.number));
    expect(output.grossMinor).toBe(Number(order.total));
    const pdf = await env.read(output.key);
    expect(createHash("sha256").update(pdf).digest("hex")).toBe(output.sha256);
    expect(output.link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Expires=/);
    const content = pdfToText(pdf);
    expect(content).toContain(output.invoiceNumber);
    expect(content).toContain(order.full_name);
    expect(content).toContain("SynthetIQ Signals GmbH");
    expect(order.locale).toBe("de-DE");
    expect(content).toContain(text(formatMoney(Number(order.total), "EUR", "de-DE")));
    expect(content).toContain(text(formatMoney(Number(order.tax), "EUR", "de-DE")));
    // Tax per rate, computed here in SQL: one line per rate with its net base and rounded tax.
    const perRate = await env.db.pool.query(
      `SELECT tax_rate_bp, sum(quantity * unit_price_minor)::bigint AS net,
              round(sum(quantity * unit_price_minor) * tax_rate_bp / 10000.0)::bigint AS tax
       FROM order_lines WHERE order_id = $1 GROUP BY tax_rate_bp`,
      [order.id],
    );
    for (const r of perRate.rows) {
      const rate = new Intl.NumberFormat("de-DE", { style: "percent" }).format(r.tax_rate_bp / 10_000);
      const base = text(formatMoney(Number(r.net), "EUR", "de-DE"));
      const tax = text(formatMoney(Number(r.tax), "EUR", "de-DE"));
      expect(content).toMatch(
        new RegExp(
          `Tax ${text(rate)} on ${base.replace(/[.$]/g, "\\$&")}\\s+${tax.replace(/[.$]/g, "\\$&")}`,
        ),
      );
    }
    renderFirstPage(pdf, process.env.KEEP_INVOICE_PNG);
  });

  it("produces identical bytes when run twice for the same order (a retry)", async () => {
    const order = await paidOrder("JPY");
    const first = (await env.run(generateInvoicePdf, { orderId: order.id })).output as InvoiceOutput;
    const firstBytes = await env.read(first.key);
    await env.store.delete(first.key);
    await new Promise((r) => setTimeout(r, 1100)); // a different wall-clock second must not matter
    const second = (await env.run(generateInvoicePdf, { orderId: order.id }, { attempt: 2 }))
      .output as InvoiceOutput;
    const secondBytes = await env.read(second.key);
    expect(second.sha256).toBe(first.sha256);
    expect(Buffer.compare(firstBytes, secondBytes)).toBe(0);
  });

  it("renders a full invoice input with tax per rate", async () => {
    const invoice = {
      invoiceNumber: "INV-EXT-7",
      issueDate: "2024-12-31",
      currency: "EUR",
      locale: "en-GB",
      seller: { name: "Acme Analytics Ltd", addressLines: ["1 High Street", "London"], vatId: "GB123456789" },
      buyer: {
        name: "Jürgen Müller",
        addressLines: ["Hauptstraße 5", "80331 München"],
        email: "jm@example.com",
      },
      lines: [
        { description: "Training hours", quantity: 3, unitPriceMinor: 12_000, taxRateBp: 1900 },
        { description: "Reference book", quantity: 1, unitPriceMinor: 4_999, taxRateBp: 700 },
      ],
    };
    const record = await env.run(generateInvoicePdf, { invoice });
    expect(record.error).toBeUndefined();
    const output = record.output as InvoiceOutput & { netMinor: number; taxMinor: number };
    // 360.00 at 19 % = 68.40; 49.99 at 7 % = 3.4993 → 3.50; total 409.99 + 71.90 = 481.89.
    expect([output.netMinor, output.taxMinor, output.grossMinor]).toEqual([40_999, 7_190, 48_189]);
    const content = pdfToText(await env.read(output.key));
    for (const expected of [
      "INV-EXT-7",
      "Jürgen Müller",
      "Hauptstraße 5",
      "GB123456789",
      "€68.40",
      "€3.50",
      "€481.89",
      "19%",
      "7%",
    ]) {
      expect(content).toContain(expected);
    }
    expect(output.key).toBe("invoices/INV-EXT-7.pdf");
  });

  it("fails permanently for an unknown order and names it", async () => {
    const record = await env.run(generateInvoicePdf, { orderId: 987_654_321 });
    expect(record.status).toBe("failed");
    expect(record.error?.retryable).toBe(false);
    expect(record.error?.message).toContain("no order with id 987654321");
  });
});
