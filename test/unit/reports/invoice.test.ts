import { describe, expect, it } from "vitest";
import { computeInvoiceTotals, invoiceSchema, taxOf } from "../../../src/runners/reports/invoice.ts";
import { decimalString, formatMoney } from "../../../src/runners/reports/money.ts";

const line = (unitPriceMinor: number, taxRateBp: number, quantity = 1) => ({
  description: "item",
  quantity,
  unitPriceMinor,
  taxRateBp,
});

describe("invoice arithmetic", () => {
  it("rounds tax once per rate, not once per line", () => {
    // Three lines of 3 cents at 19 %: per line 0.57 → 1 cent each (3), per rate 9 × 0.19 = 1.71 → 2.
    const totals = computeInvoiceTotals([line(3, 1900), line(3, 1900), line(3, 1900)]);
    expect(totals.taxes).toEqual([{ rateBp: 1900, netMinor: 9, taxMinor: 2 }]);
    expect(totals.grossMinor).toBe(11);
  });

  it("groups lines by rate, highest first, and adds up", () => {
    const totals = computeInvoiceTotals([
      line(10_000, 700, 2),
      line(5_000, 1900),
      line(2_500, 0),
      line(1_000, 1900, 3),
    ]);
    expect(totals.lineNetMinor).toEqual([20_000, 5_000, 2_500, 3_000]);
    expect(totals.taxes).toEqual([
      { rateBp: 1900, netMinor: 8_000, taxMinor: 1_520 },
      { rateBp: 700, netMinor: 20_000, taxMinor: 1_400 },
      { rateBp: 0, netMinor: 2_500, taxMinor: 0 },
    ]);
    expect(totals.netMinor).toBe(30_500);
    expect(totals.taxMinor).toBe(2_920);
    expect(totals.grossMinor).toBe(33_420);
  });

  it("rounds half up exactly, even for amounts where floats lose precision", () => {
    expect(taxOf(50, 1000)).toBe(5); // 5.0
    expect(taxOf(25, 1000)).toBe(3); // 2.5 → 3
    expect(taxOf(24, 1000)).toBe(2); // 2.4 → 2
    expect(taxOf(900_719_925_474_099, 1900)).toBe(171_136_785_840_079); // 171136785840078.81
  });
});

describe("money", () => {
  it("formats minor units per currency and locale", () => {
    expect(formatMoney(123_456, "EUR", "de-DE")).toBe("1.234,56\u00a0€");
    expect(formatMoney(123_456, "USD", "en-US")).toBe("$1,234.56");
    expect(formatMoney(123_456, "JPY", "en-US")).toBe("¥123,456");
    expect(formatMoney(5, "GBP", "en-GB")).toBe("£0.05");
    expect(decimalString("-5", "EUR")).toBe("-0.05");
    expect(decimalString(1234, "JPY")).toBe("1234");
  });
});

describe("the invoice schema", () => {
  it("names the field that is wrong", () => {
    const result = invoiceSchema.safeParse({
      invoiceNumber: "INV 1",
      issueDate: "2024-01-01",
      currency: "eur",
      locale: "not a locale!",
      seller: { name: "S" },
      buyer: { name: "B" },
      lines: [],
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join(".")).sort();
    expect(paths).toEqual(["currency", "invoiceNumber", "lines", "locale"]);
  });
});
