// The HTTP API's request and response shapes in zod: validated at run time by the router and
// turned into the OpenAPI document's JSON Schemas, so the two cannot disagree.
import { z } from "zod";
import { labelName, objectName, retryPolicy, timeouts, timestamp } from "../api/common.ts";
import { taskRunStatus } from "../api/taskrun.ts";

export const submitOptions = z.strictObject({
  queue: labelName.optional(),
  priority: z.int().min(-1000).max(1000).optional(),
  /** Seconds from now before the run may start (Celery's countdown). */
  countdown: z.number().min(0).max(31_536_000).optional(),
  runAt: timestamp.optional(),
  expiresAt: timestamp.optional(),
  retry: retryPolicy.optional(),
  timeouts: timeouts.optional(),
  ttlSecondsAfterFinished: z.int().min(0).max(31_536_000).optional(),
});

export const submitRequest = z.strictObject({
  /** The task's input, checked against its JSON Schema (GET /v1/tasks). */
  input: z.record(z.string(), z.unknown()).default({}),
  /** Namespace of the TaskRun (default: the server's default namespace). */
  namespace: objectName.optional(),
  options: submitOptions.default({}),
});
export type SubmitRequest = z.infer<typeof submitRequest>;

export const submitResponse = z.object({
  namespace: z.string(),
  name: z.string(),
  task: z.string(),
  /** False when the Idempotency-Key found the TaskRun of an earlier identical request (status 200). */
  created: z.boolean(),
});

export const problemResponse = z.object({
  error: z.string().meta({ description: "InvalidInput, Unauthorized, Forbidden, UnknownTask, ..." }),
  message: z.string(),
  problems: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

export const resultRecord = z.object({
  status: z.enum(["running", "succeeded", "failed"]),
  attempt: z.int(),
  final: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  output: z.unknown().optional(),
  error: z.object({ type: z.string(), message: z.string(), retryable: z.boolean() }).optional(),
});

export const taskRunResponse = z.object({
  namespace: z.string(),
  name: z.string(),
  task: z.string(),
  cancel: z.boolean(),
  status: taskRunStatus,
  /**
   * The latest attempt's result record from Redis: `status: "running"` (final false) from the moment
   * its runner starts, then its outcome; null before the first runner starts or after expiry.
   */
  result: resultRecord.nullable(),
});

export const cancelResponse = z.object({ namespace: z.string(), name: z.string(), cancel: z.literal(true) });
