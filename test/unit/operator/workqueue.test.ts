import { describe, expect, it } from "vitest";
import { WorkQueue } from "../../../src/operator/kube/workqueue.ts";

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
/** Waits until `done()` holds (a loaded machine runs timers late: no fixed sleep decides a test). */
async function until(done: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await tick();
  }
}

describe("work queue", () => {
  it("a key added many times while waiting is handed out once", async () => {
    const queue = new WorkQueue();
    for (let i = 0; i < 5; i++) queue.add("ns/a");
    queue.add("ns/b");
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("ns/a");
    expect(await queue.get()).toBe("ns/b");
  });

  it("never runs one key on two workers at once, and runs it again after a change meanwhile", async () => {
    const queue = new WorkQueue();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const done = queue.run(4, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await tick(20);
      active--;
    });
    queue.add("ns/a");
    await tick();
    queue.add("ns/a"); // while processing: must wait
    queue.add("ns/a"); // deduplicated with the one above
    await until(() => runs === 2 && active === 0);
    await tick(40); // a third run, if the duplicate were handed out, would have started by now
    queue.shutDown();
    await done;
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it("backs off per key, doubling, and forget() starts over", async () => {
    const queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 40 });
    const start = Date.now();
    queue.addRateLimited("k");
    expect(await queue.get()).toBe("k");
    queue.done("k");
    expect(Date.now() - start).toBeGreaterThanOrEqual(9);
    queue.addRateLimited("k");
    queue.addRateLimited("k");
    queue.addRateLimited("k"); // 20, 40, capped 40: the earliest (20 ms) wins
    expect(queue.failuresOf("k")).toBe(4);
    queue.forget("k");
    expect(queue.failuresOf("k")).toBe(0);
    queue.shutDown();
  });

  it("addAfter keeps only the earliest time for a key", async () => {
    const queue = new WorkQueue();
    queue.addAfter("k", 500);
    queue.addAfter("k", 10);
    queue.addAfter("k", 1_000);
    const start = Date.now();
    expect(await queue.get()).toBe("k");
    expect(Date.now() - start).toBeLessThan(400);
    queue.shutDown();
  });

  it("get() resolves undefined after shutdown", async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
  });

  it("a delay longer than a Node.js timer can hold does not fire early", async () => {
    const queue = new WorkQueue();
    queue.addAfter("ns/far", 40 * 24 * 3600 * 1000); // 40 days: past 2^31-1 ms
    await tick(30);
    expect(queue.length).toBe(0);
    queue.shutDown();
  });

  it("hands out first keys before normal ones, and a normal key that waited long takes turns", async () => {
    const queue = new WorkQueue({ promoteAfterMs: 30 });
    queue.add("ns/status-1");
    queue.add("ns/new-1", "first");
    queue.add("ns/new-2", "first");
    expect(await queue.get()).toBe("ns/new-1");
    await tick(40);
    queue.add("ns/new-3", "first");
    // ns/status-1 has waited longer than promoteAfterMs: the lanes alternate.
    expect(await queue.get()).toBe("ns/status-1");
    expect(await queue.get()).toBe("ns/new-2");
    expect(await queue.get()).toBe("ns/new-3");
  });

  it("processes at most maxNormalInFlight normal keys at once, while first keys use every worker", async () => {
    const queue = new WorkQueue({ maxNormalInFlight: 1 });
    let normalActive = 0;
    let maxNormalActive = 0;
    let firstActive = 0;
    let maxFirstActive = 0;
    const handled: string[] = [];
    const done = queue.run(4, async (key) => {
      const first = key.includes("new");
      if (first) maxFirstActive = Math.max(maxFirstActive, ++firstActive);
      else maxNormalActive = Math.max(maxNormalActive, ++normalActive);
      await tick(20);
      if (first) firstActive--;
      else normalActive--;
      handled.push(key);
    });
    for (const n of [1, 2, 3]) queue.add(`ns/status-${n}`);
    for (const n of [1, 2, 3]) queue.add(`ns/new-${n}`, "first");
    await until(() => handled.length === 6);
    queue.shutDown();
    await done;
    expect(maxNormalActive).toBe(1);
    expect(maxFirstActive).toBe(3);
    expect(handled).toHaveLength(6);
  });

  it("holds normal keys while holdNormalAtFirstInFlight first keys are still processed, until they have waited promoteAfterMs", async () => {
    const queue = new WorkQueue({ holdNormalAtFirstInFlight: 2, promoteAfterMs: 60 });
    queue.add("ns/new-1", "first");
    queue.add("ns/new-2", "first");
    expect(await queue.get()).toBe("ns/new-1");
    expect(await queue.get()).toBe("ns/new-2");
    queue.add("ns/status-1");
    // No first key waits, but two are in flight: the burst is still being answered.
    let handed: string | undefined;
    void queue.get().then((key) => (handed = key));
    await tick(20);
    expect(handed).toBeUndefined();
    queue.done("ns/new-1"); // one first key in flight: below the limit
    await tick();
    expect(handed).toBe("ns/status-1");

    queue.add("ns/status-2");
    queue.add("ns/new-3", "first");
    expect(await queue.get()).toBe("ns/new-3");
    void queue.get().then((key) => (handed = key));
    await tick(80);
    expect(handed).toBe("ns/status-1"); // still held: nothing came back to the queue
    queue.done("ns/new-2"); // ns/status-2 has waited past promoteAfterMs: it goes, burst or not
    await tick();
    expect(handed).toBe("ns/status-2");
    queue.shutDown();
  });

  it("while the API server is congested, holds normal keys until the first lane has been quiet for quietMs", async () => {
    let congested = true;
    const queue = new WorkQueue({
      holdNormalAtFirstInFlight: 1,
      yieldNormalWhile: () => congested,
      quietMs: 60,
      promoteAfterMs: 10_000,
    });
    queue.add("ns/new-1", "first");
    expect(await queue.get()).toBe("ns/new-1");
    queue.add("ns/status-1");
    let handed: string | undefined;
    void queue.get().then((key) => (handed = key));
    queue.done("ns/new-1"); // no first key in flight or waiting, but the lane was busy just now
    await tick(20);
    expect(handed).toBeUndefined();
    queue.add("ns/new-2", "first"); // a first key arriving meanwhile goes at once, and restarts the wait
    await tick();
    expect(handed).toBe("ns/new-2");
    void queue.get().then((key) => (handed = key));
    queue.done("ns/new-2");
    await tick(30);
    expect(handed).toBe("ns/new-2"); // still held: 30 ms of quiet
    await tick(60);
    expect(handed).toBe("ns/status-1"); // quiet for 60 ms: the queue dispatches by itself

    // Not congested: a normal key goes as soon as no first key is in flight, quiet or not.
    congested = false;
    queue.add("ns/new-3", "first");
    expect(await queue.get()).toBe("ns/new-3");
    queue.add("ns/status-2");
    void queue.get().then((key) => (handed = key));
    queue.done("ns/new-3");
    await tick();
    expect(handed).toBe("ns/status-2");
    queue.shutDown();
  });

  it("runs maxNormalInFlightWhileBusy normal keys until the first lane is quiet, then maxNormalInFlight", async () => {
    const queue = new WorkQueue({
      maxNormalInFlight: 3,
      maxNormalInFlightWhileBusy: 1,
      holdNormalAtFirstInFlight: 1,
      quietMs: 60,
    });
    queue.add("ns/new-1", "first");
    expect(await queue.get()).toBe("ns/new-1");
    queue.done("ns/new-1");
    for (const n of [1, 2, 3]) queue.add(`ns/status-${n}`);
    const handed: string[] = [];
    for (let i = 0; i < 3; i++) void queue.get().then((key) => key && handed.push(key));
    await tick();
    expect(handed).toEqual(["ns/status-1"]); // the lane was busy a moment ago: one at a time
    await tick(80);
    expect(handed).toEqual(["ns/status-1", "ns/status-2", "ns/status-3"]); // quiet: the rest at once
    queue.shutDown();
  });

  it("moves a waiting normal key up when it is added as first, and requeues a changed key in its lane", async () => {
    const queue = new WorkQueue();
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/b", "first");
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("ns/b");
    // ns/b changes while processed, first: it comes back before ns/a, which still waits.
    queue.add("ns/b", "first");
    queue.done("ns/b");
    expect(await queue.get()).toBe("ns/b");
    expect(await queue.get()).toBe("ns/a");
    queue.shutDown();
  });

  it("brings a delayed add back in its lane", async () => {
    const queue = new WorkQueue();
    queue.add("ns/status");
    queue.addAfter("ns/due", 10, "first"); // a runAt or a backoff falls due: action
    await tick(30);
    expect(await queue.get()).toBe("ns/due");
    expect(await queue.get()).toBe("ns/status");
    queue.shutDown();
  });
});
