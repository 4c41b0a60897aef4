// Builders for admission tests: attempt Jobs of one queue in the states admission tells apart.
import { QUEUE_ANNOTATIONS } from "../../../src/operator/admission/queue-view.ts";
import type { Job } from "../../../src/operator/kube/objects.ts";

export interface JobShape {
  name: string;
  priority?: number;
  /** TaskRun creation, seconds after the epoch base. */
  created?: number;
  /** Operator's queueing time, milliseconds after the base. */
  queuedMs?: number;
  state?: "waiting" | "admitted" | "running" | "succeeded" | "failed";
}

const BASE = Date.parse("2026-01-01T00:00:00Z");

export function queuedJob({
  name,
  priority = 0,
  created = 0,
  queuedMs = 0,
  state = "waiting",
}: JobShape): Job {
  const done = state === "succeeded" ? "Complete" : state === "failed" ? "Failed" : undefined;
  return {
    metadata: {
      name,
      namespace: "ns",
      creationTimestamp: new Date(BASE + created * 1000).toISOString(),
      annotations: {
        [QUEUE_ANNOTATIONS.priority]: String(priority),
        [QUEUE_ANNOTATIONS.taskRunCreated]: new Date(BASE + created * 1000).toISOString(),
        [QUEUE_ANNOTATIONS.queuedAt]: new Date(BASE + queuedMs).toISOString(),
      },
    },
    spec: { suspend: state === "waiting" },
    status: {
      ...(state === "running" ? { active: 1, ready: 1 } : state === "admitted" ? { active: 1 } : {}),
      ...(done ? { conditions: [{ type: done, status: "True" }] } : {}),
    } as Job["status"],
  };
}

export const at = (seconds: number) => BASE + seconds * 1000;
