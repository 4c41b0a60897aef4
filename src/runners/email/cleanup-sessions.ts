// email.cleanup_expired_sessions: deletes sessions that expired before the task started, in
// bounded batches (one short transaction each, so a backlog of millions never holds one long
// lock), reporting progress; hourly by default.
import { z } from "zod";
import { defineTask } from "../sdk/task.ts";

export const cleanupExpiredSessions = defineTask({
  name: "email.cleanup_expired_sessions",
  queue: "emails",
  description: "Deletes expired rows from the CDP database's sessions table in bounded batches.",
  input: z
    .object({
      /** Rows deleted per statement. */
      batchSize: z.number().int().min(1).max(50_000).default(5_000),
    })
    .default({ batchSize: 5_000 }),
  output: z.object({ deleted: z.number().int(), batches: z.number().int(), cutoff: z.string() }),
  retry: { maxAttempts: 3, backoff: { initialSeconds: 60, factor: 2, maxSeconds: 600 } },
  timeouts: { softSeconds: 1_800, hardSeconds: 3_600 },
  schedule: { cron: "0 * * * *" },
  async run({ batchSize }, ctx) {
    const db = ctx.services.database();
    const cutoff = new Date();
    const { rows } = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM sessions WHERE expires_at < $1",
      [cutoff],
    );
    const expired = Number(rows[0]?.n ?? 0);
    ctx.log.info("expired sessions found", { expired, batchSize, cutoff: cutoff.toISOString() });
    let deleted = 0;
    let batches = 0;
    while (!ctx.signal.aborted) {
      const result = await db.query(
        `DELETE FROM sessions WHERE id IN (
           SELECT id FROM sessions WHERE expires_at < $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
         )`,
        [cutoff, batchSize],
      );
      const count = result.rowCount ?? 0;
      if (count === 0) break;
      deleted += count;
      batches++;
      ctx.progress(
        expired > 0 ? Math.min(1, deleted / expired) : 1,
        `deleted ${deleted} of ${expired} expired sessions`,
      );
    }
    ctx.signal.throwIfAborted();
    return { deleted, batches, cutoff: cutoff.toISOString() };
  },
});
