import { describe, expect, it } from "vitest";
import { csvField, orderCsvLine } from "../../../src/runners/reports/orders-csv.ts";
import { dailyPeriod } from "../../../src/runners/reports/period.ts";
import { reportKeyPrefix } from "../../../src/runners/reports/periodic-report.ts";
import { buildPeriodReport } from "../../../src/runners/reports/report.ts";

const emptyData = {
  newUsers: 0,
  ordersByStatus: {},
  revenue: [],
  refunds: [],
  topModelsByViews: [],
  topModelsByDownloads: [],
};

describe("building a period report", () => {
  it("nets refunds against gross revenue per currency, including currencies with refunds only", () => {
    const report = buildPeriodReport(
      dailyPeriod("2024-03-31", "Europe/Berlin"),
      {
        ...emptyData,
        ordersByStatus: { paid: 3, cancelled: 1 },
        revenue: [{ currency: "EUR", paidOrders: 3, netMinor: 1000, taxMinor: 190, grossMinor: 1190 }],
        refunds: [
          { currency: "EUR", refunds: 1, amountMinor: 190 },
          { currency: "USD", refunds: 2, amountMinor: 500 },
        ],
      },
      [],
    );
    expect(report.orders.total).toBe(4);
    expect(report.netOfRefunds).toEqual([
      { currency: "EUR", amountMinor: 1000 },
      { currency: "USD", amountMinor: -500 },
    ]);
    expect(report.period).toEqual({
      label: "2024-03-31",
      timeZone: "Europe/Berlin",
      start: "2024-03-30T23:00:00.000Z",
      end: "2024-03-31T22:00:00.000Z",
    });
  });

  it("keys each period's files by kind, zone and label", () => {
    expect(reportKeyPrefix(dailyPeriod("2024-03-31", "America/New_York"))).toBe(
      "reports/daily/America_New_York/2024-03-31",
    );
  });
});

describe("the orders CSV", () => {
  it("quotes fields with commas, quotes or line breaks", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField("x\ny")).toBe('"x\ny"');
  });

  it("writes amounts as decimals in the currency's digits", () => {
    const line = orderCsvLine({
      number: "SO-2024-00000001",
      created_at: new Date("2024-03-31T10:00:00Z"),
      user_id: "7",
      status: "paid",
      currency: "JPY",
      subtotal_minor: "1000",
      tax_minor: "100",
      total_minor: "1100",
      refunded_minor: "0",
    });
    expect(line).toBe("SO-2024-00000001,2024-03-31T10:00:00.000Z,7,paid,JPY,1000,100,1100,0");
  });
});
