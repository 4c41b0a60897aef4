// The runner's cold-start path to one task: a name → lazy loader table, so a runner imports only the
// module of the task it runs (loading every task module, as registry.ts does, costs ~15 MB RSS and
// tens of milliseconds on each start). registry.ts stays the typed list of all tasks for the
// operator, the SDK and the catalogue; test/unit/runners/task-loaders.test.ts proves this table
// and that list agree exactly (same names, same definition objects), so they cannot drift.
//
// To add a task: one line here as well as in registry.ts.
import type { TaskSource } from "./sdk/entrypoint.ts";
import type { TaskDefinition } from "./sdk/task.ts";

type TaskLoader = () => Promise<TaskDefinition>;

// Each definition is typed with its own zod schemas; the table only needs the common shape.
const asDefinition = (definition: unknown) => definition as TaskDefinition;

const productionLoaders: Readonly<Record<string, TaskLoader>> = {
  "email.send_welcome_email": () =>
    import("./email/welcome.ts").then((m) => asDefinition(m.sendWelcomeEmail)),
  "email.send_order_confirmation": () =>
    import("./email/order-confirmation.ts").then((m) => asDefinition(m.sendOrderConfirmation)),
  "email.send_license_email": () =>
    import("./email/license.ts").then((m) => asDefinition(m.sendLicenseEmail)),
  "email.cleanup_expired_sessions": () =>
    import("./email/cleanup-sessions.ts").then((m) => asDefinition(m.cleanupExpiredSessions)),
  "reports.generate_daily_report": () =>
    import("./reports/generate-daily-report.ts").then((m) => asDefinition(m.generateDailyReport)),
  "reports.generate_monthly_report": () =>
    import("./reports/generate-monthly-report.ts").then((m) => asDefinition(m.generateMonthlyReport)),
  "reports.generate_invoice_pdf": () =>
    import("./reports/generate-invoice-pdf.ts").then((m) => asDefinition(m.generateInvoicePdf)),
  "reports.export_customer_data": () =>
    import("./reports/export-customer-data.ts").then((m) => asDefinition(m.exportCustomerData)),
  "models.push_to_ecr": () => import("./models/ecr/task.ts").then((m) => asDefinition(m.pushToEcr)),
  "models.scan_model_security": () =>
    import("./models/scan/task.ts").then((m) => asDefinition(m.scanModelSecurity)),
  "models.generate_model_thumbnail": () =>
    import("./models/thumbnail/task.ts").then((m) => asDefinition(m.generateModelThumbnail)),
  "models.update_model_analytics": () =>
    import("./models/analytics/task.ts").then((m) => asDefinition(m.updateModelAnalytics)),
};

// The testing.* tasks live in one small module; registered only with RUNNER_ENABLE_TEST_TASKS=1,
// exactly as in registry.ts.
const testingLoader =
  (name: string): TaskLoader =>
  async () => {
    const { testingTasks } = await import("./testing/tasks.ts");
    const definition = testingTasks.find((task) => task.name === name);
    if (!definition) throw new Error(`task-loaders.ts lists ${name} but testing/tasks.ts does not define it`);
    return definition;
  };
const testingNames = ["testing.noop", "testing.sleep", "testing.exit", "testing.flaky"];

/** The loaders of the tasks this environment registers (testing.* only with RUNNER_ENABLE_TEST_TASKS=1). */
export function taskLoaders(env: Record<string, string | undefined>): ReadonlyMap<string, TaskLoader> {
  const loaders = new Map(Object.entries(productionLoaders));
  if (env.RUNNER_ENABLE_TEST_TASKS === "1")
    for (const name of testingNames) loaders.set(name, testingLoader(name));
  return loaders;
}

/**
 * The built-in tasks through the loader table. A name the table does not know is looked up in the
 * full registry (imported only then), so the "unknown task" error lists what the registry holds.
 */
export function builtInTaskSource(env: Record<string, string | undefined>): TaskSource {
  const loaders = taskLoaders(env);
  const registry = () => import("./registry.ts").then((m) => m.builtInTasks);
  return {
    async find(name) {
      const load = loaders.get(name);
      return load ? load() : (await registry()).get(name);
    },
    async names() {
      return [...(await registry()).keys()];
    },
  };
}
