// What every report PDF shares: a pdfkit document with fixed metadata dates (so the same input
// gives the same bytes), text made safe for the standard fonts, page numbers, and collecting the
// output. pdfkit is loaded on first use.
import type PDFDocumentType from "pdfkit";

export type PdfDocument = InstanceType<typeof PDFDocumentType>;

export interface PdfMeta {
  title: string;
  author?: string;
  /** Written as CreationDate and ModDate; it also seeds the file ID, so bytes are reproducible. */
  date: Date;
}

export async function createPdf(meta: PdfMeta): Promise<PdfDocument> {
  const { default: PDFDocument } = await import("pdfkit");
  return new PDFDocument({
    size: "A4",
    margin: 50,
    bufferPages: true,
    info: {
      Title: meta.title,
      Author: meta.author ?? "SynthetIQ Signals",
      Creator: "synthetiq-tasks",
      Producer: "synthetiq-tasks (pdfkit)",
      CreationDate: meta.date,
      ModDate: meta.date,
    },
  });
}

// Characters Intl produces that the standard fonts' WinAnsi encoding lacks, and their look-alikes.
const WIN_ANSI_SUBSTITUTES: Record<string, string> = {
  "\u202f": "\u00a0", // narrow no-break space (fr-FR, de-CH group separator)
  "\u2009": " ",
  "\uffe5": "\u00a5", // fullwidth yen (ja-JP)
  "\u2212": "-", // minus sign
};

/** Text the standard PDF fonts can show. */
export function pdfText(text: string): string {
  return text.replace(/[\u202f\u2009\uffe5\u2212]/g, (c) => WIN_ANSI_SUBSTITUTES[c] ?? c);
}

/** Writes "Page n of m" at the foot of every page; call once, after all content. */
export function addPageNumbers(doc: PdfDocument): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing inside the margin must not open a new page
    doc
      .fontSize(8)
      .fillColor("#666666")
      .text(`Page ${i - range.start + 1} of ${range.count}`, doc.page.margins.left, doc.page.height - 30, {
        width: doc.page.width - doc.page.margins.left - doc.page.margins.right,
        align: "center",
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
  }
}

/** Ends the document and returns its bytes. */
export function finishPdf(doc: PdfDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    addPageNumbers(doc);
    doc.end();
  });
}

export interface TableColumn {
  header: string;
  width: number;
  align?: "left" | "right";
}

/** A simple ruled table that breaks across pages, repeating its header. */
export function drawTable(
  doc: PdfDocument,
  columns: TableColumn[],
  rows: string[][],
  options: { x?: number } = {},
): void {
  const left = options.x ?? doc.page.margins.left;
  const rowHeight = 16;
  const drawRow = (cells: string[], bold: boolean) => {
    if (doc.y + rowHeight > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      drawRow(
        columns.map((c) => c.header),
        true,
      );
    }
    const y = doc.y;
    let x = left;
    doc
      .font(bold ? "Helvetica-Bold" : "Helvetica")
      .fontSize(9)
      .fillColor("#000000");
    columns.forEach((column, i) => {
      doc.text(pdfText(cells[i] ?? ""), x + 2, y + 4, {
        width: column.width - 4,
        align: column.align ?? "left",
        lineBreak: false,
      });
      x += column.width;
    });
    const total = columns.reduce((sum, c) => sum + c.width, 0);
    doc
      .moveTo(left, y + rowHeight)
      .lineTo(left + total, y + rowHeight)
      .lineWidth(bold ? 1 : 0.3)
      .strokeColor("#999999")
      .stroke();
    doc.y = y + rowHeight;
  };
  drawRow(
    columns.map((c) => c.header),
    true,
  );
  for (const row of rows) drawRow(row, false);
  doc.x = doc.page.margins.left;
  doc.moveDown(0.5);
}
