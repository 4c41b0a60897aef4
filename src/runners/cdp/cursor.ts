// Streams the rows of one parameterised query in batches through a server-side cursor, so a
// period of any size is read with bounded memory. pg-cursor is loaded on first use.
import type { Pool } from "pg";

export interface StreamOptions {
  /** Rows fetched per round trip (default 5000). */
  batchSize?: number;
  signal?: AbortSignal;
}

/** Yields batches of rows; the connection goes back to the pool when iteration ends or breaks. */
export async function* streamRowBatches<Row>(
  pool: Pool,
  text: string,
  values: unknown[],
  options: StreamOptions = {},
): AsyncGenerator<Row[]> {
  const { default: Cursor } = await import("pg-cursor");
  const client = await pool.connect();
  const cursor = client.query(new Cursor<Row>(text, values));
  let broken = false;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const rows = await cursor.read(options.batchSize ?? 5000);
      if (rows.length === 0) return;
      yield rows;
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    await cursor.close().catch(() => {});
    // A connection that failed mid-cursor is discarded rather than reused.
    client.release(broken);
  }
}
