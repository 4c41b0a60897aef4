// The registry of built-in tasks, by name, and their catalogue (schemas, queue, retry, timeouts,
// schedule) for the operator's input validation and the HTTP API.
//
// RULE FOR TASK MODULES: the operator imports every module listed here; the runner imports only
// the one it runs, through task-loaders.ts (cold-start target < 150 ms, < 80 MB RSS). A task module may import only zod, the SDK and
// its own small helpers at the top level. Heavy libraries (nodemailer, sharp, pdfkit, the AWS SDK,
// pg, yazl/yauzl) are loaded lazily: `await import("...")` inside run(), or through ctx.services.
// The runner never loads @kubernetes/client-node. No work at import time either: create Intl
// formatters, buffers and clients inside run() or on first use (one top-level
// `new Intl.NumberFormat()` loads ICU data and costs every runner start ~6 MB RSS).
//
// To add a task: one import line below, one entry in the list, and one loader in task-loaders.ts
// (test/unit/runners/task-loaders.test.ts fails until the two agree).
import { z } from "zod";
import { cleanupExpiredSessions } from "./email/cleanup-sessions.ts";
import { sendLicenseEmail } from "./email/license.ts";
import { sendOrderConfirmation } from "./email/order-confirmation.ts";
import { sendWelcomeEmail } from "./email/welcome.ts";
import { updateModelAnalytics } from "./models/analytics/task.ts";
import { pushToEcr } from "./models/ecr/task.ts";
import { scanModelSecurity } from "./models/scan/task.ts";
import { generateModelThumbnail } from "./models/thumbnail/task.ts";
import { exportCustomerData } from "./reports/export-customer-data.ts";
import { generateDailyReport } from "./reports/generate-daily-report.ts";
import { generateInvoicePdf } from "./reports/generate-invoice-pdf.ts";
import { generateMonthlyReport } from "./reports/generate-monthly-report.ts";
import type { QueueName, RetryPolicy, TaskDefinition, TaskSchedule, TaskTimeouts } from "./sdk/task.ts";
import { testingTasks } from "./testing/tasks.ts";

const productionTasks = [
  sendWelcomeEmail,
  sendOrderConfirmation,
  sendLicenseEmail,
  cleanupExpiredSessions,
  generateDailyReport,
  generateMonthlyReport,
  pushToEcr,
  scanModelSecurity,
  generateModelThumbnail,
  updateModelAnalytics,
  generateInvoicePdf,
  exportCustomerData,
] as const;

/** The production tasks with their names and zod types kept: the SDK's typed `enqueue` reads them. */
export type BuiltInTaskDefinition = (typeof productionTasks)[number];

const definitions: TaskDefinition[] = [
  ...productionTasks,
  // Test-only tasks (sleep, exit codes, flaky) for the operator's end-to-end tests.
  ...(process.env.RUNNER_ENABLE_TEST_TASKS === "1" ? testingTasks : []),
];

function indexByName(list: readonly TaskDefinition[]): ReadonlyMap<string, TaskDefinition> {
  const byName = new Map<string, TaskDefinition>();
  for (const definition of list) {
    if (byName.has(definition.name)) throw new Error(`two built-in tasks are named ${definition.name}`);
    byName.set(definition.name, definition);
  }
  return byName;
}

/** Every built-in task, by its registry name (e.g. "email.send_welcome_email"). */
export const builtInTasks: ReadonlyMap<string, TaskDefinition> = indexByName(definitions);

export interface CatalogueEntry {
  name: string;
  queue: QueueName;
  description: string;
  /** JSON Schema (draft 2020-12) of the input a TaskRun's spec.input must match. */
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  retry?: RetryPolicy;
  timeouts?: TaskTimeouts;
  schedule?: TaskSchedule;
  sensitiveFields?: readonly string[];
}

export function catalogueEntry(definition: TaskDefinition): CatalogueEntry {
  return {
    name: definition.name,
    queue: definition.queue,
    description: definition.description,
    inputSchema: z.toJSONSchema(definition.input, { io: "input", unrepresentable: "any" }) as Record<
      string,
      unknown
    >,
    ...(definition.output
      ? {
          outputSchema: z.toJSONSchema(definition.output, { io: "output", unrepresentable: "any" }) as Record<
            string,
            unknown
          >,
        }
      : {}),
    ...(definition.retry ? { retry: definition.retry } : {}),
    ...(definition.timeouts ? { timeouts: definition.timeouts } : {}),
    ...(definition.schedule ? { schedule: definition.schedule } : {}),
    ...(definition.sensitiveFields ? { sensitiveFields: definition.sensitiveFields } : {}),
  };
}

/** The catalogue of built-in tasks, sorted by name (computed on call: the runner never needs it). */
export function taskCatalogue(): CatalogueEntry[] {
  return [...builtInTasks.values()].map(catalogueEntry).sort((a, b) => a.name.localeCompare(b.name));
}
