// What the operator needs to know about tasks: a catalogue looked up by name (queue, input schema,
// default retry and timeouts), and the input check that decides InputValid.
import type { z } from "zod";
import type { RetryPolicySpec, TimeoutsSpec } from "./api/common.ts";
import { MAX_INLINE_INPUT_BYTES, type TaskRunSpec } from "./api/taskrun.ts";

export interface TaskInfo {
  readonly name: string;
  readonly queue: string;
  readonly input: z.ZodType;
  readonly retry?: RetryPolicySpec;
  readonly timeouts?: TimeoutsSpec;
}

export interface TaskCatalog {
  lookup(name: string): TaskInfo | undefined;
  names(): string[];
}

/** The shape the runner registry's task definitions share (see src/runners/sdk/task.ts). */
interface TaskDefinitionLike {
  readonly name: string;
  readonly queue: string;
  readonly input: z.ZodType;
  readonly retry?: { maxAttempts: number; backoff?: RetryPolicySpec["backoff"] };
  readonly timeouts?: TimeoutsSpec;
}

export function catalogOf(definitions: Iterable<TaskDefinitionLike>): TaskCatalog {
  const byName = new Map<string, TaskInfo>();
  for (const d of definitions) byName.set(d.name, d);
  return {
    lookup: (name) => byName.get(name),
    names: () => [...byName.keys()].sort(),
  };
}

export type InputCheck =
  | { valid: true; task: TaskInfo; reason: "Valid" | "ValidatedByRunner" }
  | { valid: false; reason: "UnknownTask"; message: string }
  /** A known task: its queue still labels the refused run (metrics, status). */
  | { valid: false; task: TaskInfo; reason: "InvalidInput" | "InputTooLarge"; message: string };

function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return ["input", ...path.map(String)].join(".");
}

/** Is the TaskRun's task known and its inline input valid? The message names every bad field. */
export function checkInput(catalog: TaskCatalog, spec: TaskRunSpec): InputCheck {
  const task = catalog.lookup(spec.task);
  if (!task) {
    const known = catalog.names();
    return {
      valid: false,
      reason: "UnknownTask",
      message: `unknown task "${spec.task}"; known tasks: ${known.length > 0 ? known.join(", ") : "(none)"}`,
    };
  }
  if (spec.inputFrom) return { valid: true, task, reason: "ValidatedByRunner" };
  const input = spec.input ?? {};
  const size = Buffer.byteLength(JSON.stringify(input));
  if (size > MAX_INLINE_INPUT_BYTES) {
    return {
      valid: false,
      task,
      reason: "InputTooLarge",
      message: `spec.input is ${size} bytes, the limit is ${MAX_INLINE_INPUT_BYTES}; put large input in a Secret or ConfigMap and use spec.inputFrom`,
    };
  }
  const parsed = task.input.safeParse(input);
  if (parsed.success) return { valid: true, task, reason: "Valid" };
  const problems = parsed.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
  return {
    valid: false,
    task,
    reason: "InvalidInput",
    message: `input for ${spec.task} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}): ${problems.join("; ")}`,
  };
}
