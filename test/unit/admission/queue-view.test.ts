import { describe, expect, it } from "vitest";
import { viewOf } from "../../../src/operator/admission/queue-view.ts";
import { at, queuedJob } from "./builders.ts";

describe("the view of a queue's Jobs", () => {
  it("counts suspended Jobs as waiting, released ones as admitted until their pod is ready, and ignores finished ones", () => {
    const view = viewOf([
      queuedJob({ name: "w1" }),
      queuedJob({ name: "a1", state: "admitted" }),
      queuedJob({ name: "r1", state: "running" }),
      queuedJob({ name: "r2", state: "running" }),
      queuedJob({ name: "done", state: "succeeded" }),
      queuedJob({ name: "failed", state: "failed" }),
    ]);
    expect(view.waiting.map((w) => w.name)).toEqual(["w1"]);
    expect(view.admitted).toBe(1);
    expect(view.running).toBe(2);
  });

  it("orders strictly by priority, then TaskRun creation, then queueing time, then name", () => {
    const view = viewOf([
      queuedJob({ name: "old-low", priority: 0, created: 1 }),
      queuedJob({ name: "new-high", priority: 10, created: 9 }),
      queuedJob({ name: "same-second-later", priority: 0, created: 2, queuedMs: 2_500 }),
      queuedJob({ name: "same-second-earlier", priority: 0, created: 2, queuedMs: 2_100 }),
      queuedJob({ name: "negative", priority: -5, created: 0 }),
      queuedJob({ name: "tie-b", priority: 0, created: 3, queuedMs: 3_000 }),
      queuedJob({ name: "tie-a", priority: 0, created: 3, queuedMs: 3_000 }),
    ]);
    expect(view.waiting.map((w) => w.name)).toEqual([
      "new-high",
      "old-low",
      "same-second-earlier",
      "same-second-later",
      "tie-a",
      "tie-b",
      "negative",
    ]);
  });

  it("reports when the oldest waiting Job was queued", () => {
    const view = viewOf([
      queuedJob({ name: "b", queuedMs: 5_000 }),
      queuedJob({ name: "a", queuedMs: 1_000 }),
    ]);
    expect(view.oldestWaitingSince).toBe(at(1));
    expect(viewOf([queuedJob({ name: "r", state: "running" })]).oldestWaitingSince).toBeUndefined();
  });
});
