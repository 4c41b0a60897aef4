// What a TaskQueue's spec.defaults add to the Jobs of its runs (pure). Precedence, field by field:
// the TaskRun's own fields, then the task's registry defaults (timeouts, retry), then the queue's.
// Secret references in defaults.env go into the Job as valueFrom, never as values.
import type { PodOverrides } from "../api/common.ts";
import type { TaskQueueSpec } from "../api/taskqueue.ts";

export type QueueDefaults = NonNullable<TaskQueueSpec["defaults"]>;

/**
 * What a TaskQueue gives its runs: its spec.defaults, with its spec.priorityClassName as the pods'
 * priority class unless defaults.pod names one.
 */
export function queueDefaults(spec: TaskQueueSpec): QueueDefaults | undefined {
  const { defaults, priorityClassName } = spec;
  if (!priorityClassName || defaults?.pod?.priorityClassName) return defaults;
  return { ...defaults, pod: { ...defaults?.pod, priorityClassName } };
}

/** The run's pod overrides over the queue's: a field the run sets replaces the queue's whole field. */
export function mergePodOverrides(
  run: PodOverrides | undefined,
  queue: PodOverrides | undefined,
): PodOverrides | undefined {
  if (!run && !queue) return undefined;
  const merged: PodOverrides = { ...queue };
  for (const [key, value] of Object.entries(run ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** The queue's env entries as container env (Secret/ConfigMap key references). */
export function queueEnv(defaults: QueueDefaults | undefined): Array<{ name: string; valueFrom: unknown }> {
  return (defaults?.env ?? []).map((e) => ({ name: e.name, valueFrom: structuredClone(e.valueFrom) }));
}
