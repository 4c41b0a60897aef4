// models.update_model_analytics on the real Redis and Postgres: events are counted once per id
// (also when the same batch runs twice, or concurrently), rolled up into model_analytics_daily.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { updateModelAnalytics } from "../../../src/runners/models/analytics/task.ts";
import { runTaskInProcess } from "../../../src/runners/sdk/in-process.ts";
import { type CdpSchema, createCdpSchema } from "../reports/cdp-database.ts";

let db: CdpSchema;
let databaseUrl: string;
let modelA: number;
let modelB: number;
const today = new Date().toISOString().slice(0, 10);
const yesterdayDate = new Date(Date.now() - 86_400_000);
const yesterday = yesterdayDate.toISOString().slice(0, 10);

beforeAll(async () => {
  db = await createCdpSchema(inject("databaseUrl"), "model_analytics");
  const url = new URL(inject("databaseUrl"));
  url.searchParams.set("options", `-c search_path=${db.schema}`);
  databaseUrl = url.href;
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO models (slug, name, framework) VALUES ($1, 'A', 'pytorch'), ($2, 'B', 'onnx') RETURNING id`,
    [`a-${randomUUID()}`, `b-${randomUUID()}`],
  );
  [modelA, modelB] = rows.map((r) => Number(r.id)) as [number, number];
});
afterAll(async () => {
  await db?.drop();
});

function update(input: unknown) {
  return runTaskInProcess(updateModelAnalytics, input, { redisUrl: inject("redisUrl"), databaseUrl });
}

async function row(modelId: number, day: string) {
  const { rows } = await db.pool.query<{ views: string; downloads: string }>(
    "SELECT views, downloads FROM model_analytics_daily WHERE model_id = $1 AND day = $2",
    [modelId, day],
  );
  return rows[0] ? { views: Number(rows[0].views), downloads: Number(rows[0].downloads) } : null;
}

const event = (id: string, modelId: number, type: "view" | "download", at: Date | string = new Date()) => ({
  eventId: id,
  modelId,
  type,
  occurredAt: typeof at === "string" ? at : at.toISOString(),
});

describe("models.update_model_analytics", () => {
  it("counts the same events once, however often the task runs", async () => {
    const run = randomUUID();
    const events = [
      event(`${run}-1`, modelA, "view"),
      event(`${run}-2`, modelA, "view"),
      event(`${run}-2`, modelA, "view"), // the same event delivered twice in one batch
      event(`${run}-3`, modelA, "download"),
      event(`${run}-4`, modelB, "view", yesterdayDate),
    ];
    const first = await update({ events });
    expect(first.error).toBeUndefined();
    expect(first.output).toMatchObject({
      counted: 4,
      duplicates: 1,
      days: [yesterday, today].sort(),
      unknownModels: [],
    });
    const second = await update({ events });
    expect(second.output).toMatchObject({ counted: 0, duplicates: 5 });
    expect(await row(modelA, today)).toEqual({ views: 2, downloads: 1 });
    expect(await row(modelB, yesterday)).toEqual({ views: 1, downloads: 0 });
  });

  it("counts each event once when two runs with overlapping events race", async () => {
    const run = randomUUID();
    const shared = Array.from({ length: 300 }, (_, i) =>
      event(`${run}-s${i}`, modelB, i % 3 === 0 ? "download" : "view"),
    );
    const before = (await row(modelB, today)) ?? { views: 0, downloads: 0 };
    const [a, b] = await Promise.all([
      update({ events: [...shared, event(`${run}-only-a`, modelB, "view")] }),
      update({ events: [...shared.slice().reverse(), event(`${run}-only-b`, modelB, "view")] }),
    ]);
    const counted = (a.output as { counted: number }).counted + (b.output as { counted: number }).counted;
    expect(counted).toBe(302);
    expect(await row(modelB, today)).toEqual({
      views: before.views + 200 + 2,
      downloads: before.downloads + 100,
    });
  });

  it("reports events it cannot count and models it cannot write, and writes the rest", async () => {
    const run = randomUUID();
    const before = (await row(modelA, today)) ?? { views: 0, downloads: 0 };
    const record = await update({
      events: [
        event(`${run}-old`, modelA, "view", "2001-01-01T00:00:00Z"),
        event(`${run}-ghost`, 999_999_999, "view"),
        event(`${run}-ok`, modelA, "download"),
      ],
    });
    expect(record.output).toMatchObject({
      counted: 2,
      rejectedTotal: 1,
      rejected: [{ eventId: `${run}-old`, reason: expect.stringMatching(/30 days/) }],
      unknownModels: [999_999_999],
    });
    expect(await row(modelA, today)).toEqual({ views: before.views, downloads: before.downloads + 1 });
  });

  it("rejects a bad event, naming the field", async () => {
    const record = await update({
      events: [{ eventId: "x", modelId: modelA, type: "like", occurredAt: new Date().toISOString() }],
    });
    expect(record.error?.retryable).toBe(false);
    expect(record.error?.message).toMatch(/events\.0\.type|events\[0\]\.type/);
  });
});
