// The TaskQueue resource (tasks.synthetiq.io/v1alpha1): concurrency bounds, rate limit, defaults and
// autoscaling of one queue of TaskRuns. Admission lives in ../admission, scaling in ../autoscaler.
import { z } from "zod";
import {
  conditionList,
  objectName,
  podOverrides,
  retryPolicy,
  timeouts,
  timestamp,
  valueSource,
  withRules,
} from "./common.ts";

export const envFromSource = z.object({
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
  valueFrom: valueSource,
});

export const scalingMetric = z.object({
  /** A PromQL query that returns one number. */
  query: z.string().min(1).max(4096),
  targetType: z.enum(["Value", "AverageValue"]),
  target: z.number().gt(0),
});

export const taskQueueSpec = z.object({
  priorityClassName: objectName.optional(),
  concurrency: withRules(z.object({ min: z.int().min(0).max(10_000), max: z.int().min(1).max(10_000) }), [
    {
      rule: "self.min <= self.max",
      message: "concurrency.min must not exceed concurrency.max",
      fieldPath: ".min",
      holds: (c) => c.min <= c.max,
    },
  ]).optional(),
  rateLimit: z
    .object({ perSecond: z.number().gt(0).max(10_000), burst: z.int().min(1).max(10_000).optional() })
    .optional(),
  /** Defaults for the TaskRuns of this queue; a TaskRun's own fields win. */
  defaults: z
    .object({
      image: z.string().min(1).max(512).optional(),
      retry: retryPolicy.optional(),
      timeouts: timeouts.optional(),
      pod: podOverrides.optional(),
      /** Secret or ConfigMap values given to runners as environment variables (SMTP, AWS, database). */
      env: z.array(envFromSource).max(64).optional(),
    })
    .optional(),
  autoscaling: z
    .object({
      prometheusUrl: z.string().min(1).max(512),
      metrics: z.array(scalingMetric).min(1).max(8),
      tolerance: z.number().min(0).max(1).optional(),
      scaleUpStabilizationSeconds: z.int().min(0).max(3600).optional(),
      scaleDownStabilizationSeconds: z.int().min(0).max(3600).optional(),
      brake: z.object({ query: z.string().min(1).max(4096), threshold: z.number() }).optional(),
      /** Seconds between two evaluations of the queries (KEDA's pollingInterval); default 15. */
      pollingSeconds: z.int().min(1).max(3600).optional(),
    })
    .optional(),
});
export type TaskQueueSpec = z.infer<typeof taskQueueSpec>;

export const taskQueueStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  conditions: conditionList.optional(),
  pending: z.int().min(0).optional(),
  admitted: z.int().min(0).optional(),
  running: z.int().min(0).optional(),
  concurrency: z.int().min(0).optional(),
  lastScale: z
    .object({
      time: timestamp,
      from: z.int().min(0),
      to: z.int().min(0),
      reason: z.string().max(1024),
    })
    .optional(),
  /** The rate limit's token bucket, persisted so that a restart does not hand out a fresh burst. */
  tokenBucket: z.object({ tokens: z.number().min(0), time: z.iso.datetime() }).optional(),
});
export type TaskQueueStatus = z.infer<typeof taskQueueStatus>;

export const taskQueueCrd = {
  kind: "TaskQueue",
  plural: "taskqueues",
  singular: "taskqueue",
  shortNames: ["tq"],
  categories: ["tasks"],
  spec: taskQueueSpec,
  status: taskQueueStatus,
  printerColumns: [
    { name: "Concurrency", type: "integer", jsonPath: ".status.concurrency" },
    { name: "Max", type: "integer", jsonPath: ".spec.concurrency.max" },
    { name: "Pending", type: "integer", jsonPath: ".status.pending" },
    { name: "Running", type: "integer", jsonPath: ".status.running" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "Rate", type: "number", jsonPath: ".spec.rateLimit.perSecond", priority: 1 },
    { name: "Last-Scale", type: "string", jsonPath: ".status.lastScale.reason", priority: 1 },
  ],
} as const;
