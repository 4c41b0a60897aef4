// The operator's Prometheus metrics. Labels are bounded sets (task, queue, outcome, kind, cause),
// never a TaskRun's name, so the series count does not grow with the number of runs.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { WorkQueueMetrics } from "./kube/workqueue.ts";

const DURATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export function createMetrics() {
  const registry = new Registry();
  const runs = new Counter({
    name: "synthetiq_taskruns_finished_total",
    help: "TaskRuns that reached a final phase, by task, queue and outcome (Succeeded, Failed, Cancelled, Expired).",
    labelNames: ["task", "queue", "outcome"],
    registers: [registry],
  });
  const attempts = new Counter({
    name: "synthetiq_taskrun_attempts_total",
    help: "Attempts started (Jobs created), by task and queue.",
    labelNames: ["task", "queue"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "synthetiq_taskrun_duration_seconds",
    help: "From a TaskRun's first attempt starting to its final phase.",
    labelNames: ["task", "queue", "outcome"],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const wait = new Histogram({
    name: "synthetiq_taskrun_wait_seconds",
    help: "From a TaskRun's creation to its first attempt's Job being created.",
    labelNames: ["task", "queue"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  const pending = new Gauge({
    name: "synthetiq_queue_pending_taskruns",
    help: "TaskRuns not finished and not running (waiting, retrying, pending), by queue.",
    labelNames: ["queue"],
    registers: [registry],
  });
  const running = new Gauge({
    name: "synthetiq_queue_running_taskruns",
    help: "TaskRuns with a running attempt, by queue.",
    labelNames: ["queue"],
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: "synthetiq_operator_reconcile_errors_total",
    help: "Reconciles that failed and were requeued with backoff, by resource kind.",
    labelNames: ["kind"],
    registers: [registry],
  });
  const watchRestarts = new Counter({
    name: "synthetiq_operator_watch_restarts_total",
    help: "Watch restarts by resource and cause (relist after 410, reconnect after an error, stall).",
    labelNames: ["resource", "cause"],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "synthetiq_operator_workqueue_depth",
    help: "Keys waiting in the operator's work queue.",
    registers: [registry],
  });
  const queueAdds = new Counter({
    name: "synthetiq_operator_workqueue_adds_total",
    help: "Keys added to the work queue.",
    registers: [registry],
  });
  const queueRetries = new Counter({
    name: "synthetiq_operator_workqueue_retries_total",
    help: "Keys requeued with backoff after a failure.",
    registers: [registry],
  });
  const queueLatency = new Histogram({
    name: "synthetiq_operator_workqueue_latency_seconds",
    help: "How long a key waited in the work queue before a worker took it.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10],
    registers: [registry],
  });
  const workDuration = new Histogram({
    name: "synthetiq_operator_workqueue_work_duration_seconds",
    help: "How long one reconcile took.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 10],
    registers: [registry],
  });
  const apiRequests = new Counter({
    name: "synthetiq_operator_api_requests_total",
    help: "Requests the operator made to the Kubernetes API, by verb (get, list, watch, create, update, patch, delete) and resource.",
    labelNames: ["verb", "resource"],
    registers: [registry],
  });
  const apiRetries = new Counter({
    name: "synthetiq_operator_api_retries_total",
    help: "Requests sent to the Kubernetes API again, by verb, resource and cause: the answer's status code (429 or 5xx with Retry-After, as API Priority and Fairness sends) or connection (a GET on a reset connection).",
    labelNames: ["verb", "resource", "cause"],
    registers: [registry],
  });
  const leader = new Gauge({
    name: "synthetiq_operator_leader",
    help: "1 while this replica holds the leader lease.",
    registers: [registry],
  });
  const workQueue: WorkQueueMetrics = {
    depth: (n) => queueDepth.set(n),
    added: () => queueAdds.inc(),
    waited: (s) => queueLatency.observe(s),
    worked: (s) => workDuration.observe(s),
    retried: () => queueRetries.inc(),
  };
  return {
    registry,
    apiRequests,
    apiRetries,
    runs,
    attempts,
    duration,
    wait,
    pending,
    running,
    reconcileErrors,
    watchRestarts,
    leader,
    workQueue,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
