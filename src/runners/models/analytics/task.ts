// models.update_model_analytics: counts view/download events per model per UTC day in Redis
// (atomic, once per event id), then rolls the touched days up into the CDP database's
// model_analytics_daily (upsert). Safe to run twice with the same events.
import { z } from "zod";
import { defineTask } from "../../sdk/task.ts";
import { type CountableEvent, countOnce, dayTotals } from "./counters.ts";

const MAX_EVENT_AGE_DAYS = 30;
const MAX_REPORTED_REJECTIONS = 100;

export const updateModelAnalyticsInput = z.object({
  events: z
    .array(
      z.object({
        eventId: z.string().min(1).max(200),
        modelId: z.number().int().positive(),
        type: z.enum(["view", "download"]),
        occurredAt: z.iso.datetime({ offset: true }),
      }),
    )
    .min(1)
    .max(10_000),
  /** Write the touched days to model_analytics_daily now (default); false: count in Redis only. */
  rollUp: z.boolean().default(true),
});

export const updateModelAnalyticsOutput = z.object({
  counted: z.number(),
  duplicates: z.number(),
  rejected: z.array(z.object({ eventId: z.string(), reason: z.string() })),
  rejectedTotal: z.number(),
  days: z.array(z.string()),
  rowsUpserted: z.number(),
  /** Model ids with events but no row in `models`: counted in Redis, not written to the database. */
  unknownModels: z.array(z.number()),
});

/** Why an event cannot be counted (outside the dedupe window or in the future), or null. Pure. */
export function rejectionOf(occurredAt: Date, now: Date): string | null {
  const ageDays = (now.getTime() - occurredAt.getTime()) / 86_400_000;
  if (ageDays > MAX_EVENT_AGE_DAYS)
    return `occurredAt is more than ${MAX_EVENT_AGE_DAYS} days ago (outside the de-duplication window)`;
  if (ageDays < -1) return "occurredAt is more than a day in the future";
  return null;
}

const UPSERT = `
INSERT INTO model_analytics_daily (model_id, day, views, downloads)
SELECT v.model_id, $1::date, v.views, v.downloads
FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS v(model_id, views, downloads)
JOIN models m ON m.id = v.model_id
ON CONFLICT (model_id, day) DO UPDATE
  SET views = GREATEST(model_analytics_daily.views, EXCLUDED.views),
      downloads = GREATEST(model_analytics_daily.downloads, EXCLUDED.downloads)
RETURNING model_id`;

export const updateModelAnalytics = defineTask({
  name: "models.update_model_analytics",
  queue: "models",
  description:
    "Counts model views and downloads per day in Redis (once per event id) and rolls them up into model_analytics_daily.",
  input: updateModelAnalyticsInput,
  output: updateModelAnalyticsOutput,
  retry: { maxAttempts: 5, backoff: { initialSeconds: 5, factor: 2, maxSeconds: 300 } },
  timeouts: { softSeconds: 300 },
  async run(input, ctx) {
    const now = new Date();
    const rejected: { eventId: string; reason: string }[] = [];
    const countable: CountableEvent[] = [];
    for (const event of input.events) {
      const occurredAt = new Date(event.occurredAt);
      const reason = rejectionOf(occurredAt, now);
      if (reason) rejected.push({ eventId: event.eventId, reason });
      else
        countable.push({
          eventId: event.eventId,
          modelId: event.modelId,
          type: event.type,
          day: occurredAt.toISOString().slice(0, 10),
        });
    }
    const redis = ctx.services.redis();
    const flags = await countOnce(redis, countable, ctx.signal);
    const counted = flags.filter(Boolean).length;
    ctx.progress(0.5, `counted ${counted} events`);
    const days = [...new Set(countable.map((e) => e.day))].sort();
    let rowsUpserted = 0;
    const unknown = new Set<number>();
    if (input.rollUp) {
      const db = ctx.services.database();
      for (const day of days) {
        ctx.signal.throwIfAborted();
        const totals = await dayTotals(redis, day);
        const models = [...totals.keys()];
        const result = await db.query<{ model_id: string }>(UPSERT, [
          day,
          models,
          models.map((m) => totals.get(m)?.views ?? 0),
          models.map((m) => totals.get(m)?.downloads ?? 0),
        ]);
        rowsUpserted += result.rowCount ?? 0;
        const written = new Set(result.rows.map((r) => Number(r.model_id)));
        for (const e of countable) if (e.day === day && !written.has(e.modelId)) unknown.add(e.modelId);
      }
    }
    if (rejected.length > 0) ctx.log.warn("analytics events rejected", { rejected: rejected.length });
    ctx.progress(1, `rolled up ${days.length} days`);
    return {
      counted,
      duplicates: countable.length - counted,
      rejected: rejected.slice(0, MAX_REPORTED_REJECTIONS),
      rejectedTotal: rejected.length,
      days,
      rowsUpserted,
      unknownModels: [...unknown].sort((a, b) => a - b),
    };
  },
});
