// Redis side of model analytics: one Lua script counts a batch of events atomically, each event at
// most once (SET NX on its id with a TTL, then HINCRBY on the day's hash), and reads a day back.
import type { Redis } from "ioredis";

export type AnalyticsEventType = "view" | "download";

export interface CountableEvent {
  eventId: string;
  modelId: number;
  type: AnalyticsEventType;
  /** YYYY-MM-DD (UTC). */
  day: string;
}

/** Events and counters live this long: roll-ups and retries must happen within it. */
export const ANALYTICS_TTL_SECONDS = 35 * 24 * 3600;
const BATCH = 500;

const eventKey = (eventId: string) => `analytics:event:${eventId}`;
export const dayKey = (day: string) => `analytics:model-daily:${day}`;

// KEYS: event key, day key, event key, day key, ...; ARGV: ttl, then one "modelId:type" per event.
// Returns 1 for each event counted now, 0 for one already counted.
const COUNT_ONCE = `
local counted = {}
for i = 1, #KEYS, 2 do
  local field = ARGV[1 + (i + 1) / 2]
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('HINCRBY', KEYS[i + 1], field, 1)
    redis.call('EXPIRE', KEYS[i + 1], ARGV[1])
    counted[#counted + 1] = 1
  else
    counted[#counted + 1] = 0
  end
end
return counted`;

/** Counts events once each; returns, in order, whether each was counted now. */
export async function countOnce(
  redis: Redis,
  events: readonly CountableEvent[],
  signal?: AbortSignal,
): Promise<boolean[]> {
  const counted: boolean[] = [];
  for (let i = 0; i < events.length; i += BATCH) {
    signal?.throwIfAborted();
    const batch = events.slice(i, i + BATCH);
    const keys = batch.flatMap((e) => [eventKey(e.eventId), dayKey(e.day)]);
    const fields = batch.map((e) => `${e.modelId}:${e.type}`);
    const flags = (await redis.eval(
      COUNT_ONCE,
      keys.length,
      ...keys,
      String(ANALYTICS_TTL_SECONDS),
      ...fields,
    )) as number[];
    counted.push(...flags.map((f) => f === 1));
  }
  return counted;
}

/** The day's totals per model from Redis. */
export async function dayTotals(
  redis: Redis,
  day: string,
): Promise<Map<number, { views: number; downloads: number }>> {
  const hash = await redis.hgetall(dayKey(day));
  const totals = new Map<number, { views: number; downloads: number }>();
  for (const [field, value] of Object.entries(hash)) {
    const [model, type] = field.split(":");
    const modelId = Number(model);
    const entry = totals.get(modelId) ?? { views: 0, downloads: 0 };
    if (type === "view") entry.views = Number(value);
    if (type === "download") entry.downloads = Number(value);
    totals.set(modelId, entry);
  }
  return totals;
}
