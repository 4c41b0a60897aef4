// Lays out a period report as a PDF: title, KPI tables, a bar chart of the most viewed models,
// task outcomes, page numbers.
import { formatMoney } from "./money.ts";
import { createPdf, drawTable, finishPdf, type PdfDocument, pdfText } from "./pdf.ts";
import { type PeriodReport, reportTitle } from "./report.ts";

// Created on first use, not at import: the operator and every runner import this module through the
// registry, and a top-level Intl formatter loads ICU data into each of them (the registry's rule).
let numberFormat: Intl.NumberFormat | undefined;
const number = {
  format(n: number): string {
    numberFormat ??= new Intl.NumberFormat("en-US");
    return numberFormat.format(n);
  },
};

function heading(doc: PdfDocument, text: string): void {
  if (doc.y > doc.page.height - doc.page.margins.bottom - 80) doc.addPage();
  doc
    .moveDown(0.8)
    .font("Helvetica-Bold")
    .fontSize(12)
    .fillColor("#000000")
    .text(text, doc.page.margins.left);
  doc.moveDown(0.3);
}

/** Horizontal bars, one per item, scaled to the largest value. */
export function drawBarChart(doc: PdfDocument, items: { label: string; value: number }[]): void {
  const left = doc.page.margins.left;
  const labelWidth = 150;
  const valueWidth = 70;
  const barMax = doc.page.width - left - doc.page.margins.right - labelWidth - valueWidth;
  const max = Math.max(1, ...items.map((i) => i.value));
  const barHeight = 12;
  if (doc.y + items.length * (barHeight + 6) > doc.page.height - doc.page.margins.bottom) doc.addPage();
  let y = doc.y;
  doc.font("Helvetica").fontSize(9);
  for (const item of items) {
    const width = Math.max(1, (item.value / max) * barMax);
    doc
      .fillColor("#000000")
      .text(pdfText(item.label), left, y + 2, { width: labelWidth - 6, lineBreak: false, ellipsis: true });
    doc.rect(left + labelWidth, y, width, barHeight).fill("#3b6ea5");
    doc.fillColor("#000000").text(number.format(item.value), left + labelWidth + width + 4, y + 2, {
      width: valueWidth,
      lineBreak: false,
    });
    y += barHeight + 6;
  }
  doc.x = left;
  doc.y = y + 4;
}

export async function renderReportPdf(
  report: PeriodReport,
  options: { locale: string; generatedAt: Date },
): Promise<Buffer> {
  const title = reportTitle(report);
  const doc = await createPdf({ title, date: options.generatedAt });
  doc.font("Helvetica-Bold").fontSize(18).text(title);
  doc.font("Helvetica").fontSize(9).fillColor("#444444");
  doc.text(`Period: ${report.period.start} to ${report.period.end} (end exclusive)`);
  doc.text(`Generated: ${options.generatedAt.toISOString()}`);

  heading(doc, "Key figures");
  const kpiRows: string[][] = [
    ["New users", number.format(report.newUsers)],
    ["Orders", number.format(report.orders.total)],
    ...Object.entries(report.orders.byStatus).map(([status, n]) => [`Orders ${status}`, number.format(n)]),
    ...report.revenue.map((r) => [
      `Revenue ${r.currency} (gross)`,
      formatMoney(r.grossMinor, r.currency, options.locale),
    ]),
    ...report.refunds.map((r) => [
      `Refunds ${r.currency} (${r.refunds})`,
      formatMoney(r.amountMinor, r.currency, options.locale),
    ]),
    ...report.netOfRefunds.map((r) => [
      `Net of refunds ${r.currency}`,
      formatMoney(r.amountMinor, r.currency, options.locale),
    ]),
  ];
  drawTable(
    doc,
    [
      { header: "Metric", width: 250 },
      { header: "Value", width: 200, align: "right" },
    ],
    kpiRows,
  );

  heading(doc, "Revenue by currency (paid orders)");
  drawTable(
    doc,
    [
      { header: "Currency", width: 70 },
      { header: "Paid orders", width: 80, align: "right" },
      { header: "Net", width: 115, align: "right" },
      { header: "Tax", width: 115, align: "right" },
      { header: "Gross", width: 115, align: "right" },
    ],
    report.revenue.map((r) => [
      r.currency,
      number.format(r.paidOrders),
      formatMoney(r.netMinor, r.currency, options.locale),
      formatMoney(r.taxMinor, r.currency, options.locale),
      formatMoney(r.grossMinor, r.currency, options.locale),
    ]),
  );

  heading(doc, "Most viewed models");
  if (report.topModels.byViews.length === 0)
    doc.font("Helvetica").fontSize(9).text("No model analytics in this period.");
  else
    drawBarChart(
      doc,
      report.topModels.byViews.map((m) => ({ label: m.name, value: m.views })),
    );

  heading(doc, "Most downloaded models");
  drawTable(
    doc,
    [
      { header: "Model", width: 250 },
      { header: "Downloads", width: 100, align: "right" },
      { header: "Views", width: 100, align: "right" },
    ],
    report.topModels.byDownloads.map((m) => [m.name, number.format(m.downloads), number.format(m.views)]),
  );

  heading(doc, "Task outcomes");
  if (report.taskOutcomes.length === 0)
    doc.font("Helvetica").fontSize(9).text("No task results recorded in this period.");
  else
    drawTable(
      doc,
      [
        { header: "Task", width: 220 },
        { header: "Succeeded", width: 80, align: "right" },
        { header: "Failed", width: 80, align: "right" },
        { header: "Retrying", width: 80, align: "right" },
      ],
      report.taskOutcomes.map((t) => [
        t.task,
        number.format(t.succeeded),
        number.format(t.failed),
        number.format(t.retrying),
      ]),
    );
  return finishPdf(doc);
}
