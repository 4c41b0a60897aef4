// Builds a GDPR export archive as a zip stream: one JSON file per table, then a README that
// describes the files and their row counts. Tables are read one at a time, batch by batch, only
// when the zip writer reaches them, so memory stays bounded whatever the customer's size.
import { Readable } from "node:stream";

export interface ArchiveTable {
  name: string;
  description: string;
  /** Opened when the archive reaches this table. */
  rows(): AsyncIterable<Record<string, unknown>[]>;
}

export interface ArchiveSummary {
  /** Row count per table, filled in as the archive is written. */
  rowCounts: Record<string, number>;
}

/** A JSON array written batch by batch. bigint columns arrive as strings and stay strings (no precision loss). */
async function* jsonArray(batches: AsyncIterable<Record<string, unknown>[]>, onRows: (n: number) => void) {
  let first = true;
  yield "[";
  for await (const batch of batches) {
    onRows(batch.length);
    // Only the very first row of the file has no leading comma.
    const parts = batch.map((row, i) => `${first && i === 0 ? "" : ","}\n  ${JSON.stringify(row)}`);
    if (batch.length > 0) first = false;
    yield parts.join("");
  }
  yield first ? "]\n" : "\n]\n";
}

export function readmeText(
  customerId: number,
  generatedAt: Date,
  tables: readonly ArchiveTable[],
  summary: ArchiveSummary,
): string {
  return [
    "Export of your personal data held by SynthetIQ Signals",
    "=======================================================",
    "",
    `Customer id: ${customerId}`,
    `Generated:   ${generatedAt.toISOString()}`,
    "",
    "Each file is a JSON array with one object per database row. Money amounts are integers in the",
    "currency's minor unit (cents; yen have none) next to an ISO 4217 currency code. Large integer",
    "identifiers are written as strings. Times are UTC (ISO 8601).",
    "",
    "Files:",
    ...tables.map(
      (t) =>
        `  ${`${t.name}.json`.padEnd(28)} ${String(summary.rowCounts[t.name] ?? 0).padStart(8)} rows  ${t.description}`,
    ),
    "",
    "Questions or corrections: privacy@synthetiq.io",
    "",
  ].join("\n");
}

/** The zip as a byte stream; `summary.rowCounts` is complete once the stream has ended. */
export async function customerArchiveStream(
  customerId: number,
  tables: readonly ArchiveTable[],
  generatedAt: Date,
): Promise<{ stream: Readable; summary: ArchiveSummary }> {
  const { ZipFile } = await import("yazl");
  const zip = new ZipFile();
  const summary: ArchiveSummary = { rowCounts: {} };
  const output = zip.outputStream as Readable;
  zip.on("error", (error: Error) => output.destroy(error));
  const options = { mtime: generatedAt, compress: true };
  for (const table of tables) {
    summary.rowCounts[table.name] = 0;
    zip.addReadStreamLazy(`${table.name}.json`, options, (callback) => {
      const stream = Readable.from(
        jsonArray(table.rows(), (n) => {
          summary.rowCounts[table.name] = (summary.rowCounts[table.name] ?? 0) + n;
        }),
      );
      // A failed query fails the whole archive rather than leaving a truncated file in it.
      stream.on("error", (error) => output.destroy(error));
      callback(null, stream);
    });
  }
  zip.addReadStreamLazy("README.txt", options, (callback) => {
    callback(null, Readable.from([readmeText(customerId, generatedAt, tables, summary)]));
  });
  zip.end();
  return { stream: output, summary };
}
