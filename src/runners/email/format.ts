// Pure formatting for mails: HTML escaping, masked license keys, money in minor units formatted
// by locale with Intl, and order totals computed exactly (integers, never float sums).

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** Masks every letter and digit but the last four, keeping separators: "****-****-****-MNOP". */
export function maskLicenseKey(key: string): string {
  const visible = 4;
  const significant = [...key].filter((c) => /[\p{L}\p{N}]/u.test(c)).length;
  let seen = 0;
  return [...key]
    .map((c) => {
      if (!/[\p{L}\p{N}]/u.test(c)) return c;
      seen++;
      return seen > significant - visible && significant > visible ? c : "*";
    })
    .join("");
}

/** Digits after the decimal point for a currency (JPY 0, EUR 2, KWD 3). */
export function currencyDigits(currency: string): number {
  return (
    new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/** Major units (19.99) to minor units (1999), or null when the amount has more decimals than the currency. */
export function toMinorUnits(amount: number, currency: string): number | null {
  const scale = 10 ** currencyDigits(currency);
  const minor = Math.round(amount * scale);
  return Math.abs(minor / scale - amount) < 1e-9 ? minor : null;
}

export function formatMoney(minor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(minor / 10 ** digits);
}

export interface OrderLineAmounts {
  quantity: number;
  unitPriceMinor: number;
}

export interface OrderTotals {
  lineTotalsMinor: number[];
  subtotalMinor: number;
  shippingMinor: number;
  taxMinor: number;
  totalMinor: number;
}

export function orderTotals(
  lines: readonly OrderLineAmounts[],
  shippingMinor: number,
  taxMinor: number,
): OrderTotals {
  const lineTotalsMinor = lines.map((line) => line.quantity * line.unitPriceMinor);
  const subtotalMinor = lineTotalsMinor.reduce((sum, n) => sum + n, 0);
  return {
    lineTotalsMinor,
    subtotalMinor,
    shippingMinor,
    taxMinor,
    totalMinor: subtotalMinor + shippingMinor + taxMinor,
  };
}

/** The domain of a sender like `"Shop" <no-reply@shop.example>`, for Message-IDs. */
export function senderDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return match?.[1] ?? "synthetiq.invalid";
}
