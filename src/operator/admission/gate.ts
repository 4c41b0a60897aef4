// What the TaskRun controller asks of queue admission (implemented by the TaskQueue controller).
import type { Waiting } from "./admit.ts";
import type { QueueDefaults } from "./queue-defaults.ts";

export interface AdmissionGate {
  /** A TaskQueue governs this queue: its attempt Jobs are created suspended. */
  manages(namespace: string, queue: string): boolean;
  /** Why a suspended Job waits and where it stands, once its queue has looked at it. */
  waitingOf(namespace: string, queue: string, job: string): Waiting | undefined;
  /** The queue's spec.defaults (image, pod, env, retry, timeouts) for its runs' Jobs. */
  defaultsOf(namespace: string, queue: string): QueueDefaults | undefined;
}
