// Lays out an invoice as a PDF: seller and buyer blocks, lines, tax per rate, totals. The same
// invoice always gives the same bytes: the document date is the issue date, nothing else varies.
import { computeInvoiceTotals, type Invoice } from "./invoice.ts";
import { formatMoney } from "./money.ts";
import { createPdf, drawTable, finishPdf, type PdfDocument, pdfText } from "./pdf.ts";

function partyBlock(
  doc: PdfDocument,
  heading: string,
  party: Invoice["seller"],
  x: number,
  y: number,
): number {
  doc.font("Helvetica-Bold").fontSize(9).fillColor("#666666").text(heading, x, y, { width: 230 });
  doc.font("Helvetica-Bold").fontSize(10).fillColor("#000000").text(pdfText(party.name), { width: 230 });
  doc.font("Helvetica").fontSize(10);
  for (const line of party.addressLines) doc.text(pdfText(line), { width: 230 });
  if (party.email) doc.text(pdfText(party.email), { width: 230 });
  if (party.vatId) doc.text(`VAT ID: ${pdfText(party.vatId)}`, { width: 230 });
  return doc.y;
}

export async function renderInvoicePdf(invoice: Invoice): Promise<Buffer> {
  const totals = computeInvoiceTotals(invoice.lines);
  const money = (minor: number) => formatMoney(minor, invoice.currency, invoice.locale);
  const percent = new Intl.NumberFormat(invoice.locale, { style: "percent", maximumFractionDigits: 2 });
  const date = new Date(`${invoice.issueDate}T00:00:00Z`);
  const doc = await createPdf({
    title: `Invoice ${invoice.invoiceNumber}`,
    author: invoice.seller.name,
    date,
  });
  const left = doc.page.margins.left;

  doc.font("Helvetica-Bold").fontSize(20).text("INVOICE", left, 50);
  doc.font("Helvetica").fontSize(10);
  doc.text(`Invoice number: ${invoice.invoiceNumber}`);
  doc.text(`Issue date: ${invoice.issueDate}`);
  if (invoice.orderNumber) doc.text(`Order: ${pdfText(invoice.orderNumber)}`);

  const top = doc.y + 20;
  const sellerEnd = partyBlock(doc, "FROM", invoice.seller, left, top);
  const buyerEnd = partyBlock(doc, "BILL TO", invoice.buyer, left + 260, top);
  doc.x = left;
  doc.y = Math.max(sellerEnd, buyerEnd) + 25;

  drawTable(
    doc,
    [
      { header: "Description", width: 200 },
      { header: "Qty", width: 45, align: "right" },
      { header: "Unit price", width: 90, align: "right" },
      { header: "Tax", width: 50, align: "right" },
      { header: "Amount", width: 110, align: "right" },
    ],
    invoice.lines.map((line, i) => [
      line.description,
      String(line.quantity),
      money(line.unitPriceMinor),
      percent.format(line.taxRateBp / 10_000),
      money(totals.lineNetMinor[i] ?? 0),
    ]),
  );

  const summary: string[][] = [["Net total", money(totals.netMinor)]];
  for (const tax of totals.taxes) {
    summary.push([
      `Tax ${percent.format(tax.rateBp / 10_000)} on ${money(tax.netMinor)}`,
      money(tax.taxMinor),
    ]);
  }
  if (totals.taxes.length > 1) summary.push(["Tax total", money(totals.taxMinor)]);
  summary.push(["Total due", money(totals.grossMinor)]);
  doc.moveDown(0.5);
  drawTable(
    doc,
    [
      { header: "Summary", width: 200 },
      { header: invoice.currency, width: 110, align: "right" },
    ],
    summary,
    { x: left + 185 },
  );
  if (invoice.notes) {
    doc.moveDown(1).font("Helvetica").fontSize(9).fillColor("#444444").text(pdfText(invoice.notes), left);
  }
  return finishPdf(doc);
}
