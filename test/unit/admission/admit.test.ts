import { describe, expect, it } from "vitest";
import { decideAdmission } from "../../../src/operator/admission/admit.ts";
import { viewOf } from "../../../src/operator/admission/queue-view.ts";
import { at, queuedJob } from "./builders.ts";

const waitingJobs = (n: number) =>
  Array.from({ length: n }, (_, i) => queuedJob({ name: `w${i}`, created: i, queuedMs: i }));

describe("admission", () => {
  it("releases as many waiting Jobs as there are free slots, in order, and the rest wait with QueueFull and their position", () => {
    const view = viewOf([
      queuedJob({ name: "r0", state: "running" }),
      queuedJob({ name: "a0", state: "admitted" }),
      ...waitingJobs(5),
    ]);
    const decision = decideAdmission({ view, concurrency: 4, now: at(10) });
    expect(decision.release).toEqual(["w0", "w1"]);
    expect(decision.waiting).toEqual([
      { name: "w2", reason: "QueueFull", position: 1, total: 3 },
      { name: "w3", reason: "QueueFull", position: 2, total: 3 },
      { name: "w4", reason: "QueueFull", position: 3, total: 3 },
    ]);
  });

  it("admits nothing while running + admitted already fill the concurrency (or exceed it after a scale-down)", () => {
    const busy = [1, 2, 3].map((i) => queuedJob({ name: `r${i}`, state: "running" }));
    expect(
      decideAdmission({ view: viewOf([...busy, ...waitingJobs(2)]), concurrency: 3, now: 0 }).release,
    ).toEqual([]);
    expect(
      decideAdmission({ view: viewOf([...busy, ...waitingJobs(2)]), concurrency: 1, now: 0 }).release,
    ).toEqual([]);
  });

  it("a high-priority Job submitted last takes the next free slot", () => {
    const view = viewOf([
      ...waitingJobs(3),
      queuedJob({ name: "urgent", priority: 100, created: 50, queuedMs: 50_000 }),
    ]);
    expect(decideAdmission({ view, concurrency: 1, now: at(60) }).release).toEqual(["urgent"]);
  });

  it("an unbounded queue releases everything that waits", () => {
    const decision = decideAdmission({ view: viewOf(waitingJobs(7)), concurrency: Infinity, now: 0 });
    expect(decision.release).toHaveLength(7);
  });

  it("the token bucket limits releases to the burst, then to the rate; the rest wait RateLimited with a retry time", () => {
    const rateLimit = { perSecond: 2, burst: 2 };
    const view = viewOf(waitingJobs(10));
    const first = decideAdmission({ view, concurrency: 10, rateLimit, now: at(0) });
    expect(first.release).toEqual(["w0", "w1"]);
    expect(first.waiting[0]).toEqual({ name: "w2", reason: "RateLimited", position: 1, total: 8 });
    expect(first.retryAt).toBe(at(0.5));
    const soon = decideAdmission({
      view: viewOf(waitingJobs(10).slice(2)),
      concurrency: 10,
      rateLimit,
      bucket: first.bucket,
      now: at(0.2),
    });
    expect(soon.release).toEqual([]);
    const later = decideAdmission({
      view: viewOf(waitingJobs(10).slice(2)),
      concurrency: 10,
      rateLimit,
      bucket: first.bucket,
      now: at(1.5),
    });
    expect(later.release).toEqual(["w2", "w3"]);
  });

  it("over any window the rate limit admits at most burst + rate × window, however often it is asked", () => {
    const rateLimit = { perSecond: 2, burst: 1 };
    let jobs = waitingJobs(100);
    let bucket: ReturnType<typeof decideAdmission>["bucket"];
    const admittedAt: number[] = [];
    for (let t = 0; t <= 10_000; t += 37) {
      const decision = decideAdmission({
        view: viewOf(jobs),
        concurrency: 100,
        rateLimit,
        bucket,
        now: at(t / 1000),
      });
      bucket = decision.bucket;
      admittedAt.push(...decision.release.map(() => t));
      jobs = jobs.filter((j) => !decision.release.includes(j.metadata.name ?? ""));
    }
    expect(admittedAt.length).toBeGreaterThanOrEqual(19);
    for (const start of admittedAt) {
      for (const windowMs of [500, 1000, 3000]) {
        const inWindow = admittedAt.filter((t) => t >= start && t < start + windowMs).length;
        expect(inWindow).toBeLessThanOrEqual(rateLimit.burst + (rateLimit.perSecond * windowMs) / 1000);
      }
    }
  });

  it("a persisted bucket is not refilled by a restart: the state decides, not the process", () => {
    const rateLimit = { perSecond: 1, burst: 5 };
    const spent = { tokens: 0, at: at(100) };
    expect(
      decideAdmission({
        view: viewOf(waitingJobs(5)),
        concurrency: 10,
        rateLimit,
        bucket: spent,
        now: at(100.5),
      }).release,
    ).toEqual([]);
    expect(
      decideAdmission({
        view: viewOf(waitingJobs(5)),
        concurrency: 10,
        rateLimit,
        bucket: spent,
        now: at(102),
      }).release,
    ).toHaveLength(2);
  });

  it("a full queue says QueueFull even when the bucket is empty too", () => {
    const view = viewOf([queuedJob({ name: "r", state: "running" }), ...waitingJobs(2)]);
    const decision = decideAdmission({
      view,
      concurrency: 1,
      rateLimit: { perSecond: 1, burst: 1 },
      bucket: { tokens: 0, at: 0 },
      now: 0,
    });
    expect(decision.waiting.map((w) => w.reason)).toEqual(["QueueFull", "QueueFull"]);
    expect(decision.retryAt).toBeUndefined();
  });
});
