import { describe, expect, it } from "vitest";
import {
  dailyPeriod,
  monthlyPeriod,
  offsetMs,
  previousPeriod,
  startOfDay,
} from "../../../src/runners/reports/period.ts";
import { dailyReportInput } from "../../../src/runners/reports/periodic-report.ts";

const HOUR = 3_600_000;
const iso = (d: Date) => d.toISOString();

describe("daily periods", () => {
  it("a UTC day is 00:00Z to the next 00:00Z", () => {
    const p = dailyPeriod("2024-06-15", "UTC");
    expect(iso(p.start)).toBe("2024-06-15T00:00:00.000Z");
    expect(iso(p.end)).toBe("2024-06-16T00:00:00.000Z");
  });

  it("Berlin's spring-forward day (last Sunday of March) lasts 23 hours", () => {
    const p = dailyPeriod("2024-03-31", "Europe/Berlin");
    expect(iso(p.start)).toBe("2024-03-30T23:00:00.000Z");
    expect(iso(p.end)).toBe("2024-03-31T22:00:00.000Z");
    expect(p.end.getTime() - p.start.getTime()).toBe(23 * HOUR);
  });

  it("Berlin's fall-back day (last Sunday of October) lasts 25 hours", () => {
    const p = dailyPeriod("2024-10-27", "Europe/Berlin");
    expect(iso(p.start)).toBe("2024-10-26T22:00:00.000Z");
    expect(iso(p.end)).toBe("2024-10-27T23:00:00.000Z");
    expect(p.end.getTime() - p.start.getTime()).toBe(25 * HOUR);
  });

  it("the days around a DST change are 24 hours and contiguous", () => {
    const saturday = dailyPeriod("2025-03-29", "Europe/Berlin");
    const sunday = dailyPeriod("2025-03-30", "Europe/Berlin");
    const monday = dailyPeriod("2025-03-31", "Europe/Berlin");
    expect(saturday.end.getTime() - saturday.start.getTime()).toBe(24 * HOUR);
    expect(saturday.end).toEqual(sunday.start);
    expect(sunday.end).toEqual(monday.start);
    expect(sunday.end.getTime() - sunday.start.getTime()).toBe(23 * HOUR);
    expect(iso(monday.start)).toBe("2025-03-30T22:00:00.000Z");
  });

  it("a day whose midnight does not exist starts when the clocks jump (Santiago, 2024-09-08)", () => {
    // Chile moves from -04 to -03 at 24:00 on Saturday: Sunday begins at 01:00 local = 04:00Z.
    const p = dailyPeriod("2024-09-08", "America/Santiago");
    expect(iso(p.start)).toBe("2024-09-08T04:00:00.000Z");
    expect(iso(p.end)).toBe("2024-09-09T03:00:00.000Z");
    expect(dailyPeriod("2024-09-07", "America/Santiago").end).toEqual(p.start);
  });

  it("a day whose midnight happens twice starts at the first one (Havana, 2024-11-03)", () => {
    // Cuba falls back from 01:00 to 00:00: 00:00-01:00 occurs twice. The day starts at the first
    // midnight (04:00Z) and lasts 25 hours. (Postgres' AT TIME ZONE picks the second for this
    // ambiguous local time, which would leave the first hour in the previous day.)
    const p = dailyPeriod("2024-11-03", "America/Havana");
    expect(iso(p.start)).toBe("2024-11-03T04:00:00.000Z");
    expect(p.end.getTime() - p.start.getTime()).toBe(25 * HOUR);
    expect(dailyPeriod("2024-11-02", "America/Havana").end).toEqual(p.start);
  });

  it("half-hour DST (Lord Howe) and fractional offsets (Kolkata, Kathmandu)", () => {
    const lordHowe = dailyPeriod("2024-10-06", "Australia/Lord_Howe");
    expect(lordHowe.end.getTime() - lordHowe.start.getTime()).toBe(23.5 * HOUR);
    expect(iso(dailyPeriod("2024-01-01", "Asia/Kolkata").start)).toBe("2023-12-31T18:30:00.000Z");
    expect(iso(dailyPeriod("2024-01-01", "Asia/Kathmandu").start)).toBe("2023-12-31T18:15:00.000Z");
  });

  it("every day of 2024 in several zones is 23-25 hours long and follows the previous day", () => {
    for (const zone of [
      "UTC",
      "Europe/Berlin",
      "America/New_York",
      "America/Santiago",
      "Australia/Sydney",
      "Pacific/Apia",
    ]) {
      let previous = dailyPeriod("2023-12-31", zone);
      for (
        let d = new Date(Date.UTC(2024, 0, 1));
        d.getUTCFullYear() === 2024;
        d = new Date(d.getTime() + 24 * HOUR)
      ) {
        const current = dailyPeriod(d.toISOString().slice(0, 10), zone);
        expect(current.start, `${zone} ${current.label}`).toEqual(previous.end);
        const hours = (current.end.getTime() - current.start.getTime()) / HOUR;
        expect([23, 24, 25], `${zone} ${current.label} is ${hours} h`).toContain(hours);
        // The local wall-clock date at the start is the day itself.
        expect(
          new Date(current.start.getTime() + offsetMs(zone, current.start.getTime()))
            .toISOString()
            .slice(0, 10),
        ).toBe(current.label);
        previous = current;
      }
    }
  });

  it("rejects dates that do not exist and unknown zones, naming the field", () => {
    expect(() => dailyPeriod("2023-02-29", "UTC")).toThrow(/date: "2023-02-29"/);
    expect(() => dailyPeriod("2024-13-01", "UTC")).toThrow(/date/);
    expect(() => dailyPeriod("2024-1-01", "UTC")).toThrow(/YYYY-MM-DD/);
    expect(() => dailyPeriod("2024-01-01", "Mars/Olympus")).toThrow(/timeZone: "Mars\/Olympus"/);
  });
});

describe("monthly periods", () => {
  it("a leap February in UTC ends on the 29th", () => {
    const p = monthlyPeriod("2024-02", "UTC");
    expect(iso(p.start)).toBe("2024-02-01T00:00:00.000Z");
    expect(iso(p.end)).toBe("2024-03-01T00:00:00.000Z");
    expect(p.lastDate).toBe("2024-02-29");
    expect(monthlyPeriod("2023-02", "UTC").lastDate).toBe("2023-02-28");
  });

  it("March in Berlin starts in winter time and ends in summer time", () => {
    const p = monthlyPeriod("2024-03", "Europe/Berlin");
    expect(iso(p.start)).toBe("2024-02-29T23:00:00.000Z");
    expect(iso(p.end)).toBe("2024-03-31T22:00:00.000Z");
    expect(p.end.getTime() - p.start.getTime()).toBe((31 * 24 - 1) * HOUR);
  });

  it("December rolls over into January of the next year", () => {
    const p = monthlyPeriod("2024-12", "America/New_York");
    expect(iso(p.start)).toBe("2024-12-01T05:00:00.000Z");
    expect(iso(p.end)).toBe("2025-01-01T05:00:00.000Z");
    expect(p.lastDate).toBe("2024-12-31");
  });

  it("30-day and 31-day months end on the right day", () => {
    expect(monthlyPeriod("2024-04", "UTC").lastDate).toBe("2024-04-30");
    expect(monthlyPeriod("2024-08", "UTC").lastDate).toBe("2024-08-31");
    expect(() => monthlyPeriod("2024-00", "UTC")).toThrow(/month: "2024-00"/);
  });
});

describe("the previous complete period", () => {
  it("at midnight UTC the daily report covers the UTC day that just ended", () => {
    expect(previousPeriod("daily", new Date("2024-03-01T00:00:00Z"), "UTC").label).toBe("2024-02-29");
  });

  it("uses the local date in the configured zone", () => {
    // 23:30Z on 31 March is already 1 April in Berlin: yesterday there is 31 March.
    expect(previousPeriod("daily", new Date("2024-03-31T23:30:00Z"), "Europe/Berlin").label).toBe(
      "2024-03-31",
    );
    expect(previousPeriod("daily", new Date("2024-03-31T23:30:00Z"), "UTC").label).toBe("2024-03-30");
  });

  it("the monthly report in January covers December of the previous year", () => {
    const p = previousPeriod("monthly", new Date("2025-01-01T00:00:00Z"), "UTC");
    expect(p.label).toBe("2024-12");
  });

  it("startOfDay is idempotent across the year boundary in a zone east of UTC", () => {
    expect(iso(startOfDay({ year: 2025, month: 1, day: 1 }, "Pacific/Kiritimati"))).toBe(
      "2024-12-31T10:00:00.000Z",
    );
  });
});

describe("the daily report's input", () => {
  it("refuses a day the month does not have with the input, before any pod starts", () => {
    const refused = dailyReportInput.safeParse({ date: "2024-02-30" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({
      path: ["date"],
      message: expect.stringMatching(/not a calendar date/),
    });
    expect(dailyReportInput.safeParse({ date: "2024-02-29" }).success).toBe(true);
    expect(dailyReportInput.safeParse({ date: "2023-02-29" }).success).toBe(false);
    expect(dailyReportInput.safeParse({}).success).toBe(true);
  });
});
