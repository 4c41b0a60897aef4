// Reading PDFs in tests with poppler: text extraction and rendering the first page to PNG.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The PDF's text (layout mode), with no-break spaces turned into plain spaces. */
export function pdfToText(pdf: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), "pdftext-"));
  try {
    writeFileSync(join(dir, "in.pdf"), pdf);
    execFileSync("pdftotext", ["-layout", join(dir, "in.pdf"), join(dir, "out.txt")]);
    return readFileSync(join(dir, "out.txt"), "utf8").replace(/[\u00a0\u202f]/g, " ");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Renders page 1 to PNG (pdftoppm fails on a broken PDF) and returns the PNG bytes. */
export function renderFirstPage(pdf: Buffer, keepAs?: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "pdfppm-"));
  try {
    writeFileSync(join(dir, "in.pdf"), pdf);
    execFileSync("pdftoppm", [
      "-png",
      "-r",
      "60",
      "-f",
      "1",
      "-l",
      "1",
      "-singlefile",
      join(dir, "in.pdf"),
      join(dir, "page"),
    ]);
    const png = readFileSync(join(dir, "page.png"));
    if (keepAs) writeFileSync(keepAs, png);
    return png;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function pdfPageCount(pdf: Buffer): number {
  const dir = mkdtempSync(join(tmpdir(), "pdfinfo-"));
  try {
    writeFileSync(join(dir, "in.pdf"), pdf);
    const info = execFileSync("pdfinfo", [join(dir, "in.pdf")]).toString();
    return Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
