// Per-queue Prometheus series of admission and scaling. Labels are `queue` (and `reason`) only, so
// the series count follows the number of queues, never the number of TaskRuns.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createQueueMetrics(registry: Registry) {
  return {
    pending: new Gauge({
      name: "synthetiq_queue_pending_jobs",
      help: "Attempt Jobs of the queue not yet running: waiting suspended, or admitted without a ready pod.",
      labelNames: ["queue"],
      registers: [registry],
    }),
    waiting: new Gauge({
      name: "synthetiq_queue_waiting_jobs",
      help: "Suspended attempt Jobs of the queue by why they wait (QueueFull, RateLimited).",
      labelNames: ["queue", "reason"],
      registers: [registry],
    }),
    running: new Gauge({
      name: "synthetiq_queue_running_jobs",
      help: "Attempt Jobs of the queue with a ready pod.",
      labelNames: ["queue"],
      registers: [registry],
    }),
    concurrency: new Gauge({
      name: "synthetiq_queue_concurrency",
      help: "The queue's current concurrency (slots).",
      labelNames: ["queue"],
      registers: [registry],
    }),
    oldestWaiting: new Gauge({
      name: "synthetiq_queue_oldest_waiting_seconds",
      help: "Age of the queue's oldest waiting Job (0 when none waits).",
      labelNames: ["queue"],
      registers: [registry],
    }),
    admissionWait: new Histogram({
      name: "synthetiq_queue_admission_wait_seconds",
      help: "From an attempt's Job being queued (suspended) to its admission.",
      labelNames: ["queue"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600],
      registers: [registry],
    }),
    admissions: new Counter({
      name: "synthetiq_queue_admissions_total",
      help: "Attempt Jobs released by the queue's admission.",
      labelNames: ["queue"],
      registers: [registry],
    }),
    scaleDecisions: new Counter({
      name: "synthetiq_queue_scale_decisions_total",
      help: "Autoscaler evaluations by outcome reason (ScaledUp, ScaledDown, Steady, Braked, PrometheusUnavailable, NoData).",
      labelNames: ["queue", "reason"],
      registers: [registry],
    }),
  };
}

export type QueueMetrics = ReturnType<typeof createQueueMetrics>;
