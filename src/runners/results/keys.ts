// The Redis key layout of results (documented in docs/runner.md). One place, so that the runner
// that writes and the clients that read can never disagree.
import type { TaskRunRef } from "./record.ts";

const PREFIX = "synthetiq";

function id(ref: TaskRunRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** The latest attempt's record (JSON). */
export function latestResultKey(ref: TaskRunRef): string {
  return `${PREFIX}:result:${id(ref)}`;
}

/** The record of attempt `attempt` (1-based, JSON). */
export function attemptResultKey(ref: TaskRunRef, attempt: number): string {
  return `${PREFIX}:result:${id(ref)}:attempt:${attempt}`;
}

/** Each finished attempt's record is published here. */
export function doneChannel(ref: TaskRunRef): string {
  return `${PREFIX}:done:${id(ref)}`;
}
