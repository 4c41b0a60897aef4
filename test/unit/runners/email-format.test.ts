import { describe, expect, it } from "vitest";
import {
  escapeHtml,
  formatMoney,
  maskLicenseKey,
  orderTotals,
  senderDomain,
  toMinorUnits,
} from "../../../src/runners/email/format.ts";
import { classifySmtpError, messageIdFor } from "../../../src/runners/email/smtp.ts";
import { PermanentError, RetryableError } from "../../../src/runners/sdk/task.ts";

describe("mail formatting", () => {
  it("escapes HTML special characters", () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;",
    );
  });

  it("masks all but the last four characters of a license key, keeping separators", () => {
    expect(maskLicenseKey("QX7P-9M2K-L4TR-88ZW")).toBe("****-****-****-88ZW");
    expect(maskLicenseKey("abcdefghij")).toBe("******ghij");
    expect(maskLicenseKey("abc")).toBe("***");
  });

  it("converts amounts to minor units per currency, refusing extra decimals", () => {
    expect(toMinorUnits(19.99, "EUR")).toBe(1999);
    expect(toMinorUnits(0.1 + 0.2, "USD")).toBe(30);
    expect(toMinorUnits(1200, "JPY")).toBe(1200);
    expect(toMinorUnits(10.5, "JPY")).toBeNull();
    expect(toMinorUnits(1.234, "KWD")).toBe(1234);
    expect(toMinorUnits(1.005, "EUR")).toBeNull();
  });

  it("formats money by locale", () => {
    expect(formatMoney(123456, "EUR", "de-DE")).toMatch(/^1\.234,56\s€$/);
    expect(formatMoney(123456, "USD", "en-US")).toBe("$1,234.56");
    expect(formatMoney(3600, "JPY", "ja-JP")).toMatch(/^[¥￥]3,600$/);
  });

  it("sums order totals exactly in minor units", () => {
    const totals = orderTotals(
      [
        { quantity: 3, unitPriceMinor: 10 },
        { quantity: 2, unitPriceMinor: 1999 },
      ],
      490,
      851,
    );
    expect(totals).toEqual({
      lineTotalsMinor: [30, 3998],
      subtotalMinor: 4028,
      shippingMinor: 490,
      taxMinor: 851,
      totalMinor: 5369,
    });
  });

  it("derives Message-IDs that are stable per TaskRun and distinct across TaskRuns and tasks", () => {
    const from = '"Shop" <no-reply@shop.example>';
    expect(senderDomain(from)).toBe("shop.example");
    const id = messageIdFor("email.send_welcome_email", "uid-1", from);
    expect(id).toMatch(/^<[0-9a-f]{32}@shop\.example>$/);
    expect(messageIdFor("email.send_welcome_email", "uid-1", from)).toBe(id);
    expect(messageIdFor("email.send_welcome_email", "uid-2", from)).not.toBe(id);
    expect(messageIdFor("email.send_license_email", "uid-1", from)).not.toBe(id);
  });
});

describe("SMTP error classification", () => {
  it("5xx is permanent, except 503", () => {
    expect(
      classifySmtpError({ message: "x", responseCode: 550, response: "550 mailbox unavailable" }),
    ).toBeInstanceOf(PermanentError);
    expect(classifySmtpError({ message: "x", responseCode: 554 })).toMatchObject({ type: "SmtpRejected" });
    expect(classifySmtpError({ message: "x", responseCode: 503 })).toBeInstanceOf(RetryableError);
  });

  it("4xx and connection failures are retryable", () => {
    expect(classifySmtpError({ message: "x", responseCode: 421 })).toMatchObject({
      type: "SmtpTemporaryFailure",
    });
    expect(classifySmtpError({ message: "refused", code: "ESOCKET" })).toMatchObject({
      type: "SmtpConnectionError",
    });
    expect(classifySmtpError({ message: "slow", code: "ETIMEDOUT" })).toBeInstanceOf(RetryableError);
  });

  it("missing credentials are a configuration problem", () => {
    expect(classifySmtpError({ message: "no creds", code: "ENOAUTH" })).toBeInstanceOf(PermanentError);
  });
});
