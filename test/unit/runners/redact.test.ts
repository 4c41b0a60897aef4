import { describe, expect, it } from "vitest";
import { createRedactor, secretValuesOf } from "../../../src/runners/sdk/redact.ts";

describe("redaction", () => {
  it("hides values under declared sensitive fields and secret-looking keys, at any depth", () => {
    const redactor = createRedactor({ sensitiveFields: ["licenseKey"] });
    expect(
      redactor.value({
        licenseKey: "AAAA-BBBB",
        nested: [{ LicenseKey: "CCCC", password: "hunter2", apiKey: "k", count: 3 }],
        smtpPassword: "p",
        accessToken: "t",
        email: "a@example.com",
      }),
    ).toEqual({
      licenseKey: "[REDACTED]",
      nested: [{ LicenseKey: "[REDACTED]", password: "[REDACTED]", apiKey: "[REDACTED]", count: 3 }],
      smtpPassword: "[REDACTED]",
      accessToken: "[REDACTED]",
      email: "a@example.com",
    });
  });

  it("scrubs the actual values of sensitive input fields wherever they appear in text", () => {
    const input = { email: "a@example.com", licenseKey: "QX7P-9M2K-L4TR-88ZW", product: "Pro" };
    const redactor = createRedactor({
      sensitiveFields: ["licenseKey"],
      secrets: secretValuesOf(input, ["licenseKey"]),
    });
    expect(redactor.text("could not deliver QX7P-9M2K-L4TR-88ZW to a@example.com")).toBe(
      "could not deliver [REDACTED] to a@example.com",
    );
    expect(redactor.value({ error: new Error("key QX7P-9M2K-L4TR-88ZW rejected") })).toEqual({
      error: { type: "Error", message: "key [REDACTED] rejected" },
    });
  });

  it("masks credentials that look like secrets in any string", () => {
    const redactor = createRedactor();
    expect(redactor.text("connect redis://:s3cret@10.0.0.1:6379 failed")).toBe(
      "connect redis://:[REDACTED]@10.0.0.1:6379 failed",
    );
    expect(redactor.text("postgres://app:pw@db/cdp")).toBe("postgres://app:[REDACTED]@db/cdp");
    expect(redactor.text("Authorization: Bearer abcdef0123456789")).toBe("Authorization: Bearer [REDACTED]");
    expect(redactor.text("id AKIAIOSFODNN7EXAMPLE used")).toBe("id [REDACTED] used");
    expect(redactor.text("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----")).toBe(
      "[REDACTED]",
    );
    expect(redactor.text("plain text with https://example.com/path")).toBe(
      "plain text with https://example.com/path",
    );
    expect(
      redactor.text(
        "GET https://b.s3.amazonaws.com/m.pkl?X-Amz-Credential=AK%2F1&X-Amz-Signature=abcdef0123&page=2 failed",
      ),
    ).toBe(
      "GET https://b.s3.amazonaws.com/m.pkl?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&page=2 failed",
    );
    expect(redactor.text("https://h/x?token=sekrit123&sig=zz")).toBe(
      "https://h/x?token=[REDACTED]&sig=[REDACTED]",
    );
    expect(redactor.text("https://h/search?q=models&monkey=1")).toBe("https://h/search?q=models&monkey=1");
    // A task's output keeps the pre-signed links it hands out; other secrets in it are still masked.
    const link = "https://b.s3.amazonaws.com/r.pdf?X-Amz-Signature=abcdef0123";
    expect(redactor.output({ link, password: "hunter2" })).toEqual({ link, password: "[REDACTED]" });
    expect(redactor.value({ link })).toEqual({
      link: "https://b.s3.amazonaws.com/r.pdf?X-Amz-Signature=[REDACTED]",
    });
  });

  it("survives cycles", () => {
    const node: Record<string, unknown> = { a: 1 };
    node.self = node;
    expect(createRedactor().value(node)).toEqual({ a: 1, self: "[Circular]" });
  });
});
