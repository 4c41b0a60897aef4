// The email tasks against a real SMTP server (smtp-server on loopback) and a real Redis, run
// in-process with the same attempt logic as the runner entrypoint.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { sendLicenseEmail } from "../../../src/runners/email/license.ts";
import { sendOrderConfirmation } from "../../../src/runners/email/order-confirmation.ts";
import { sendWelcomeEmail } from "../../../src/runners/email/welcome.ts";
import { type InProcessOptions, runAttemptInProcess } from "../../../src/runners/sdk/in-process.ts";
import { type SmtpSink, startSmtpSink } from "../../harness/smtp.ts";

let sink: SmtpSink;
beforeEach(async () => {
  sink = await startSmtpSink();
});
afterEach(async () => {
  await sink.stop();
});

const FROM = '"SynthetIQ Signals" <no-reply@synthetiq.test>';

/** Options for one TaskRun: attempts of the same TaskRun share `uid` (the idempotency key). */
function taskRun(overrides: Partial<InProcessOptions> = {}): InProcessOptions {
  return {
    redisUrl: inject("redisUrl"),
    config: { smtp: { host: sink.host, port: sink.port, secure: false, from: FROM } },
    taskRun: { namespace: "shop", name: `mail-${randomUUID().slice(0, 8)}`, uid: randomUUID() },
    ...overrides,
  };
}

describe("email.send_welcome_email", () => {
  it("sends one mail with a text and an HTML part, user data escaped in the HTML", async () => {
    const name = `Ada <script>alert("x")</script> & Co`;
    const { record, exitCode } = await runAttemptInProcess(
      sendWelcomeEmail,
      { email: "ada@example.com", name },
      taskRun(),
    );

    expect(exitCode).toBe(0);
    expect(record.status).toBe("succeeded");
    const [mail] = await sink.waitForMails(1);
    expect(mail?.envelope.to).toEqual(["ada@example.com"]);
    expect(mail?.envelope.from).toBe("no-reply@synthetiq.test");
    expect(mail?.parsed.subject).toContain("Ada <script>");
    expect(mail?.parsed.text).toContain(`Hi ${name},`);
    const html = String(mail?.parsed.html);
    expect(html).toContain("Ada &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co");
    expect(html).not.toContain("<script>");
    expect(record.output).toMatchObject({ accepted: ["ada@example.com"], alreadySent: false });
    expect(mail?.parsed.messageId).toBe((record.output as { messageId: string }).messageId);
  });

  it("fails permanently (exit 2) on bad input, naming the field", async () => {
    const badEmail = await runAttemptInProcess(
      sendWelcomeEmail,
      { email: "not-an-address", name: "Ada" },
      taskRun(),
    );
    expect(badEmail.exitCode).toBe(2);
    expect(badEmail.record.error).toMatchObject({ type: "InvalidInput", retryable: false });
    expect(badEmail.record.error?.message).toMatch(/^invalid input for email\.send_welcome_email: email: /);

    const missingName = await runAttemptInProcess(sendWelcomeEmail, { email: "ada@example.com" }, taskRun());
    expect(missingName.exitCode).toBe(2);
    expect(missingName.record.error?.message).toMatch(/name: .*expected string, received undefined/);
    expect(sink.mails).toHaveLength(0);
  });

  it("a 421 fails the attempt as retryable, and the retry delivers the mail once", async () => {
    sink.failNext(421);
    const run = taskRun();
    const first = await runAttemptInProcess(sendWelcomeEmail, { email: "bo@example.com", name: "Bo" }, run);
    expect(first.exitCode).toBe(1);
    expect(first.record.error).toMatchObject({ type: "SmtpTemporaryFailure", retryable: true });
    expect(first.record.error?.message).toContain("421");
    expect(sink.rejected).toBe(1);
    expect(sink.mails).toHaveLength(0);

    const second = await runAttemptInProcess(
      sendWelcomeEmail,
      { email: "bo@example.com", name: "Bo" },
      { ...run, attempt: 2 },
    );
    expect(second.exitCode).toBe(0);
    expect(second.record).toMatchObject({ attempt: 2, status: "succeeded", final: true });
    await sink.waitForMails(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.mails).toHaveLength(1);
  });

  it("a 550 fails permanently with exit 2 and a final record", async () => {
    sink.failNext(550);
    const { record, exitCode } = await runAttemptInProcess(
      sendWelcomeEmail,
      { email: "gone@example.com", name: "Gone" },
      taskRun({ maxAttempts: 4 }),
    );
    expect(exitCode).toBe(2);
    expect(record).toMatchObject({
      status: "failed",
      final: true,
      error: { type: "SmtpRejected", retryable: false },
    });
    expect(record.error?.message).toContain("550");
  });

  it("a retry after a successful send does not send again", async () => {
    const run = taskRun();
    const first = await runAttemptInProcess(sendWelcomeEmail, { email: "cy@example.com", name: "Cy" }, run);
    expect(first.exitCode).toBe(0);
    // The operator retries anyway (say the pod died before reporting): the same TaskRun, attempt 2.
    const second = await runAttemptInProcess(
      sendWelcomeEmail,
      { email: "cy@example.com", name: "Cy" },
      { ...run, attempt: 2 },
    );
    expect(second.exitCode).toBe(0);
    expect(second.record.output).toMatchObject({
      alreadySent: true,
      messageId: (first.record.output as { messageId: string }).messageId,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.mails).toHaveLength(1);

    // A different TaskRun with the same input is a different mail.
    await runAttemptInProcess(sendWelcomeEmail, { email: "cy@example.com", name: "Cy" }, taskRun());
    await sink.waitForMails(2);
  });
});

describe("email.send_order_confirmation", () => {
  it("lists lines and quantities with totals formatted for the locale and currency", async () => {
    const order = {
      id: "SO-1042",
      email: "eve@example.com",
      customerName: "Eve <Ltd>",
      currency: "eur",
      locale: "de-DE",
      items: [
        { name: "Widget <XL>", quantity: 2, unitPrice: 19.99 },
        { name: "Cable", quantity: 3, unitPrice: 0.1 },
      ],
      shipping: 4.9,
      tax: 8.51,
    };
    const { record, exitCode } = await runAttemptInProcess(sendOrderConfirmation, { order }, taskRun());
    expect(exitCode).toBe(0);
    // 2 x 19.99 + 3 x 0.10 = 40.28; + 4.90 + 8.51 = 53.69 (exact: no float drift like 0.30000000000000004)
    expect(record.output).toMatchObject({ totalMinor: 5369, currency: "EUR" });

    const [mail] = await sink.waitForMails(1);
    expect(mail?.envelope.to).toEqual(["eve@example.com"]);
    expect(mail?.parsed.subject).toBe("Your order SO-1042 is confirmed");
    const text = mail?.parsed.text ?? "";
    const euro = (s: string) => new RegExp(`${s.replace(/[.]/g, "\\.")}\\s€`);
    expect(text).toMatch(/2 x Widget <XL> @ 19,99\s€ = 39,98\s€/);
    expect(text).toMatch(/3 x Cable @ 0,10\s€ = 0,30\s€/);
    expect(text).toMatch(euro("Subtotal: 40,28"));
    expect(text).toMatch(euro("Total: 53,69"));
    const html = String(mail?.parsed.html);
    expect(html).toContain("Widget &lt;XL&gt;");
    expect(html).toContain("Eve &lt;Ltd&gt;");
    expect(html).toMatch(/<th colspan="3">Total<\/th><td>53,69\s€<\/td>/);
  });

  it("formats a zero-decimal currency for another locale", async () => {
    const order = {
      id: 7,
      email: "ken@example.com",
      customerName: "Ken",
      currency: "JPY",
      locale: "en-US",
      items: [{ name: "Tea", quantity: 3, unitPrice: 1200 }],
    };
    const { exitCode } = await runAttemptInProcess(sendOrderConfirmation, { order }, taskRun());
    expect(exitCode).toBe(0);
    const [mail] = await sink.waitForMails(1);
    expect(mail?.parsed.text).toContain("Total: ¥3,600");
  });

  it("rejects an amount with more decimals than the currency has, naming the line", async () => {
    const order = {
      id: "X",
      email: "x@example.com",
      customerName: "X",
      currency: "JPY",
      items: [{ name: "Tea", quantity: 1, unitPrice: 10.5 }],
    };
    const { record, exitCode } = await runAttemptInProcess(sendOrderConfirmation, { order }, taskRun());
    expect(exitCode).toBe(2);
    expect(record.error?.message).toContain(
      "order.items[0].unitPrice: 10.5 has more decimals than JPY allows",
    );
  });
});

describe("email.send_license_email", () => {
  it("delivers the key, and neither the logs nor the stored result contain it", async () => {
    const licenseKey = "QX7P-9M2K-L4TR-88ZW";
    const lines: string[] = [];
    const { record, exitCode } = await runAttemptInProcess(
      sendLicenseEmail,
      { email: "dev@example.com", licenseKey, product: "Signals Pro" },
      taskRun({ writeLog: (line) => lines.push(line) }),
    );
    expect(exitCode).toBe(0);
    const [mail] = await sink.waitForMails(1);
    expect(mail?.parsed.text).toContain(licenseKey);
    expect(String(mail?.parsed.html)).toContain(`<code>${licenseKey}</code>`);
    expect(record.output).toMatchObject({ maskedKey: "****-****-****-88ZW", product: "Signals Pro" });
    expect(JSON.stringify(record)).not.toContain(licenseKey);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join("\n")).not.toContain(licenseKey);
  });
});
