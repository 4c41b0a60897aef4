// The TaskRun resource (tasks.synthetiq.io/v1alpha1): one piece of work, or a schedule of it.
// This zod schema is the single source of truth: the CRD YAML and JSON Schemas are generated from it.
import { z } from "zod";
import { MAX_TASKRUN_NAME } from "../naming.ts";
import {
  conditionList,
  labelName,
  objectName,
  podOverrides,
  retryPolicy,
  timeouts,
  timestamp,
  valueSource,
  withRules,
} from "./common.ts";

/** Inline input is capped so that etcd never holds bulky payloads; larger input goes in inputFrom. */
export const MAX_INLINE_INPUT_BYTES = 65_536;

export const taskName = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/,
    "must be a dotted task name such as email.send_welcome_email",
  );

export const schedule = z.object({
  /** Five-field cron expression or a macro such as @hourly. */
  cron: z
    .string()
    .min(1)
    .max(128)
    .meta({
      "x-kubernetes-validations": [
        {
          rule: "self.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*/,?-]+( +[0-9A-Za-z*/,?-]+){4})$')",
          message:
            "schedule.cron must be five cron fields (minute hour day-of-month month day-of-week) or a macro such as @hourly",
        },
      ],
    }),
  timeZone: z.string().min(1).max(64).optional(),
  concurrencyPolicy: z.enum(["Allow", "Forbid", "Replace"]).optional(),
  startingDeadlineSeconds: z.int().min(1).max(86_400).optional(),
  suspend: z.boolean().optional(),
  history: z
    .object({
      successful: z.int().min(0).max(100).optional(),
      failed: z.int().min(0).max(100).optional(),
    })
    .optional(),
});
export type ScheduleSpec = z.infer<typeof schedule>;

const immutable = (what: string) => ({
  "x-kubernetes-validations": [{ rule: "self == oldSelf", message: `${what} is immutable` }],
});

export const taskRunSpec = withRules(
  z.object({
    task: taskName.meta(immutable("spec.task")),
    /** Inline JSON input, validated against the task's schema by the operator. */
    input: z
      .record(z.string(), z.unknown())
      .meta({ ...immutable("spec.input"), "x-kubernetes-preserve-unknown-fields": true, maxProperties: 256 })
      .optional(),
    /** Large or sensitive input: a Secret or ConfigMap key mounted into the runner as a file. */
    inputFrom: valueSource.optional(),
    queue: labelName.optional(),
    priority: z.int().min(-1000).max(1000).optional(),
    /** Defaults to the TaskRun's uid: stable across attempts. */
    idempotencyKey: z.string().min(1).max(253).optional(),
    retry: retryPolicy.optional(),
    timeouts: timeouts.optional(),
    /** Nothing starts before this time. */
    runAt: timestamp.optional(),
    /** A run that has not started by this time ends Expired without a pod. */
    expiresAt: timestamp.optional(),
    /** Set to true to stop the run: its pod is stopped and it ends Cancelled. */
    cancel: z.boolean().optional(),
    ttlSecondsAfterFinished: z.int().min(0).max(31_536_000).optional(),
    schedule: schedule.optional(),
    pod: podOverrides.optional(),
  }),
  [
    {
      rule: "!has(self.runAt) || !has(self.expiresAt) || self.runAt < self.expiresAt",
      message: "spec.expiresAt must be after spec.runAt",
      fieldPath: ".expiresAt",
      holds: (s) => !s.runAt || !s.expiresAt || Date.parse(s.runAt) < Date.parse(s.expiresAt),
    },
    {
      rule: "!has(self.input) || !has(self.inputFrom)",
      message: "set spec.input or spec.inputFrom, not both",
      fieldPath: ".inputFrom",
      holds: (s) => s.input === undefined || s.inputFrom === undefined,
    },
    {
      rule: "has(oldSelf.input) == has(self.input)",
      message: "spec.input is immutable",
      fieldPath: ".input",
    },
  ],
);
export type TaskRunSpec = z.infer<typeof taskRunSpec>;

export const TASKRUN_PHASES = [
  "Pending",
  "Waiting",
  "Running",
  "Retrying",
  "Succeeded",
  "Failed",
  "Cancelled",
  "Expired",
  "Scheduled",
] as const;
export type TaskRunPhase = (typeof TASKRUN_PHASES)[number];
export const FINISHED_PHASES: ReadonlySet<TaskRunPhase> = new Set([
  "Succeeded",
  "Failed",
  "Cancelled",
  "Expired",
]);

export const attemptStatus = z.object({
  /** 1-based. */
  attempt: z.int().min(1).max(100),
  job: objectName,
  pod: objectName.optional(),
  startTime: timestamp.optional(),
  completionTime: timestamp.optional(),
  exitCode: z.int().min(-1).max(255).optional(),
  /** Succeeded, Retryable, Permanent, SoftTimeout, HardTimeout, Cancelled, ... */
  reason: z.string().max(64).optional(),
  message: z.string().max(1024).optional(),
});
export type AttemptStatus = z.infer<typeof attemptStatus>;

export const recentRun = z.object({
  name: objectName,
  scheduledTime: timestamp,
  phase: z.enum(TASKRUN_PHASES).optional(),
});

export const taskRunStatus = z.object({
  phase: z.enum(TASKRUN_PHASES).optional(),
  observedGeneration: z.int().min(0).optional(),
  conditions: conditionList.optional(),
  /** The queue the run was routed to (spec.queue, else the task's queue). */
  queue: z.string().max(63).optional(),
  attempts: z.array(attemptStatus).max(100).optional(),
  /** Scalar copy of attempts.length for the printer column. */
  attemptCount: z.int().min(0).max(100).optional(),
  /** When the next attempt may start (retry backoff, durable across operator restarts). */
  nextAttemptTime: timestamp.optional(),
  startTime: timestamp.optional(),
  completionTime: timestamp.optional(),
  /** Human-readable run time, for the printer column ("12s", "3m4s"). */
  duration: z.string().max(32).optional(),
  /** The Redis key of the result record of the last attempt. */
  resultRef: z.string().max(512).optional(),
  /** While the attempt's Job waits for its queue: 1-based place in the admission order. */
  queuePosition: z.int().min(1).optional(),
  lastScheduleTime: timestamp.optional(),
  nextScheduleTime: timestamp.optional(),
  recentRuns: z.array(recentRun).max(20).optional(),
});
export type TaskRunStatus = z.infer<typeof taskRunStatus>;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
}

export interface TaskRun {
  apiVersion: string;
  kind: "TaskRun";
  metadata: ObjectMeta;
  spec: TaskRunSpec;
  status?: TaskRunStatus;
}

export const taskRunCrd = {
  kind: "TaskRun",
  plural: "taskruns",
  singular: "taskrun",
  categories: ["tasks"],
  // The name is a label value on the run's Jobs and pods (naming.ts).
  maxNameLength: MAX_TASKRUN_NAME,
  spec: taskRunSpec,
  status: taskRunStatus,
  printerColumns: [
    { name: "Task", type: "string", jsonPath: ".spec.task" },
    { name: "Queue", type: "string", jsonPath: ".status.queue" },
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Attempts", type: "integer", jsonPath: ".status.attemptCount" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    { name: "Duration", type: "string", jsonPath: ".status.duration" },
    {
      name: "Reason",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Succeeded")].reason',
      priority: 1,
    },
    {
      name: "Waiting",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Admitted")].reason',
      priority: 1,
    },
    { name: "Position", type: "integer", jsonPath: ".status.queuePosition", priority: 1 },
    { name: "Priority", type: "integer", jsonPath: ".spec.priority", priority: 1 },
    // Times, not "date" columns: kubectl shows a date column as an age, and a time ahead as <invalid>.
    { name: "Run-At", type: "string", jsonPath: ".spec.runAt", priority: 1 },
    { name: "Next-Schedule", type: "string", jsonPath: ".status.nextScheduleTime", priority: 1 },
    { name: "Result", type: "string", jsonPath: ".status.resultRef", priority: 1 },
  ],
} as const;
