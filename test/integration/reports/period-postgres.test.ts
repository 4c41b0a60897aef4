// Cross-check of the report period boundaries against Postgres' own time-zone rules (its tz
// database is independent of Node's ICU): local midnight of every day in 2024-2025 in zones with
// DST changes, half-hour offsets and date-line moves.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dailyPeriod, monthlyPeriod } from "../../../src/runners/reports/period.ts";

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: inject("databaseUrl") });
  await client.connect();
});
afterAll(() => client?.end());

const ZONES = [
  "UTC",
  "Europe/Berlin",
  "Europe/London",
  "America/New_York",
  "America/Sao_Paulo",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
  "Pacific/Chatham",
  "America/Santiago",
];

describe("report periods agree with Postgres' AT TIME ZONE", () => {
  it.each(ZONES)("every local midnight of 2024 and 2025 in %s", async (zone) => {
    const { rows } = await client.query<{ day: string; start: Date }>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day, (d::timestamp AT TIME ZONE $1) AS start
       FROM generate_series('2024-01-01'::date, '2025-12-31'::date, interval '1 day') d`,
      [zone],
    );
    expect(rows).toHaveLength(731);
    const mismatches = rows.filter((r) => dailyPeriod(r.day, zone).start.getTime() !== r.start.getTime());
    expect(
      mismatches.map(
        (r) => `${r.day}: ours ${dailyPeriod(r.day, zone).start.toISOString()}, pg ${r.start.toISOString()}`,
      ),
    ).toEqual([]);
  });

  it("month boundaries for every month of 2024 in Berlin and New York", async () => {
    for (const zone of ["Europe/Berlin", "America/New_York"]) {
      const { rows } = await client.query<{ month: string; start: Date; end: Date }>(
        `SELECT to_char(m, 'YYYY-MM') AS month, (m::timestamp AT TIME ZONE $1) AS start,
                ((m + interval '1 month')::timestamp AT TIME ZONE $1) AS end
         FROM generate_series('2024-01-01'::date, '2024-12-01'::date, interval '1 month') m`,
        [zone],
      );
      for (const r of rows) {
        const period = monthlyPeriod(r.month, zone);
        expect([period.start.toISOString(), period.end.toISOString()], `${zone} ${r.month}`).toEqual([
          r.start.toISOString(),
          r.end.toISOString(),
        ]);
      }
    }
  });
});
