// Names the demo shares between its steps: the chart, the examples it runs and what each produces.
export const CHART_DIR_NAME = "charts/synthetiq-tasks";

export interface DemoExample {
  file: string;
  taskRun: string;
  /** A scheduled TaskRun: the demo waits for phase Scheduled, not for an end. */
  scheduled?: boolean;
}

export const DEMO_EXAMPLES: DemoExample[] = [
  { file: "examples/email/send-welcome-email.yaml", taskRun: "welcome-ada" },
  { file: "examples/models/generate-model-thumbnail.yaml", taskRun: "thumbnail-model-card" },
  { file: "examples/models/scan-model-security.yaml", taskRun: "scan-churn-model" },
  { file: "examples/reports/generate-invoice-pdf.yaml", taskRun: "invoice-order-2" },
  { file: "examples/reports/generate-daily-report.yaml", taskRun: "daily-report-2024-06-15" },
  { file: "examples/scheduled-cleanup.yaml", taskRun: "cleanup-sessions-every-15-min", scheduled: true },
];
