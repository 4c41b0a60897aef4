// reports.export_customer_data: a GDPR export of everything held about one customer, as a zip in
// artifact storage with its SHA-256, an expiring link and an audit record of who asked.
import { z } from "zod";
import { defineTask, PermanentError } from "../sdk/task.ts";

export const exportCustomerInput = z
  .object({
    customerId: z.number().int().positive().optional().describe("The customer's users.id"),
    email: z.email().optional().describe("Or the customer's email address"),
    requestedBy: z
      .string()
      .min(1)
      .max(200)
      .describe("Who asked for the export (recorded in the audit trail)"),
  })
  .refine((input) => (input.customerId === undefined) !== (input.email === undefined), {
    message: "give exactly one of customerId or email",
    path: ["customerId"],
  });

export const exportCustomerOutput = z.object({
  customerId: z.number(),
  key: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  link: z.string(),
  linkExpiresAt: z.string(),
  rowCounts: z.record(z.string(), z.number()),
  auditId: z.number(),
});

export const exportCustomerData = defineTask({
  name: "reports.export_customer_data",
  queue: "reports",
  description:
    "GDPR export: every table's rows about one customer as JSON files plus a README in a zip, with an expiring link",
  input: exportCustomerInput,
  output: exportCustomerOutput,
  retry: { maxAttempts: 3, backoff: { initialSeconds: 60, factor: 2 } },
  timeouts: { softSeconds: 1800, hardSeconds: 2400 },
  sensitiveFields: ["email"],
  async run(input, ctx) {
    const { CUSTOMER_TABLES, findCustomer, recordExportAudit, streamCustomerRows } = await import(
      "../cdp/customer-queries.ts"
    );
    const { customerArchiveStream } = await import("./customer-archive.ts");
    const pool = ctx.services.database();
    const by =
      input.customerId !== undefined ? { customerId: input.customerId } : { email: input.email ?? "" };
    const customer = await findCustomer(pool, by);
    if (!customer) {
      const what =
        "customerId" in by
          ? `customerId: no customer with id ${by.customerId}`
          : "email: no customer with this email address";
      throw new PermanentError(`${what} exists in the CDP database; nothing to export`, {
        type: "CustomerNotFound",
      });
    }
    const generatedAt = new Date();
    const tables = CUSTOMER_TABLES.map((table) => ({
      name: table.name,
      description: table.description,
      rows: () => streamCustomerRows(pool, table, customer.id, { signal: ctx.signal }),
    }));
    const { stream, summary } = await customerArchiveStream(customer.id, tables, generatedAt);
    const taskRun = `${ctx.taskRun.namespace}/${ctx.taskRun.name}`;
    const key = `gdpr-exports/customer-${customer.id}/${ctx.taskRun.namespace}-${ctx.taskRun.name}.zip`;
    const store = ctx.services.artifacts();
    const stored = await store.put(key, stream, { contentType: "application/zip" });
    ctx.progress(0.8, "archive stored");

    const expiry = ctx.services.config().reports.exportLinkExpirySeconds;
    const link = await store.link(key, expiry);
    const linkExpiresAt = new Date(Date.now() + expiry * 1000);
    const audit = await recordExportAudit(pool, {
      customerId: customer.id,
      requestedBy: input.requestedBy,
      taskRun,
      objectKey: key,
      sha256: stored.sha256,
      bytes: stored.bytes,
      linkExpiresAt,
    });
    ctx.log.info("customer data exported", {
      customerId: customer.id,
      key,
      bytes: stored.bytes,
      rowCounts: summary.rowCounts,
    });
    return {
      customerId: customer.id,
      key,
      bytes: stored.bytes,
      sha256: stored.sha256,
      link,
      linkExpiresAt: linkExpiresAt.toISOString(),
      rowCounts: summary.rowCounts,
      auditId: audit.id,
    };
  },
});
