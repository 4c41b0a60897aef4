// Money as integer minor units with an ISO 4217 currency: how many fraction digits a currency
// has, and how an amount reads in a locale ("1.234,56 €" in de-DE, "$1,234.56" in en-US).

const digitsCache = new Map<string, number>();

/** The number of minor-unit digits of a currency (EUR 2, JPY 0, BHD 3). */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      throw new RangeError(`currency: "${currency}" is not an ISO 4217 currency code`);
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** Formats minor units exactly (no float rounding for any safe integer), e.g. 123456 EUR → "1.234,56 €". */
export function formatMoney(amountMinor: number, currency: string, locale: string): string {
  const digits = currencyDigits(currency);
  const sign = amountMinor < 0 ? "-" : "";
  const abs = String(Math.abs(amountMinor)).padStart(digits + 1, "0");
  const decimal = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  // Intl formats decimal strings exactly (ES2023 Intl.NumberFormat v3).
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(
    `${sign}${decimal}` as `${number}`,
  );
}

/** Minor units as a plain decimal string for CSV/JSON consumers: 123456 EUR → "1234.56". */
export function decimalString(amountMinor: number | bigint | string, currency: string): string {
  const digits = currencyDigits(currency);
  const value = BigInt(amountMinor);
  const sign = value < 0n ? "-" : "";
  const abs = (value < 0n ? -value : value).toString().padStart(digits + 1, "0");
  return digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
}

/** True when `locale` is a well-formed BCP 47 tag Intl accepts ("de-DE", "en"). */
export function isLocale(locale: string): boolean {
  try {
    return Intl.getCanonicalLocales(locale).length === 1;
  } catch {
    return false;
  }
}
