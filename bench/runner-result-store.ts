// Benchmark (not a test): result record write (MULTI: latest + attempt key with TTL, publish) and
// read latency on loopback Redis, p50/p99 for 1 KB and 100 KB records. Target: p99 < 2 ms for 1 KB.
// Run: node bench/runner-result-store.ts
import { Redis } from "ioredis";
import { ResultStore, ResultsClient } from "../src/runners/results/index.ts";
import type { ResultRecord } from "../src/runners/results/record.ts";
import { startRedis } from "../test/harness/services.ts";
import { emitResult } from "./lib/child.ts";
import { percentile } from "./lib/stats.ts";

function recordOf(bytes: number, i: number): ResultRecord {
  const record: ResultRecord = {
    task: "bench.result",
    taskRun: { namespace: "bench", name: `run-${bytes}-${i}` },
    attempt: 1,
    status: "succeeded",
    final: true,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    output: { payload: "" },
  };
  const overhead = Buffer.byteLength(JSON.stringify(record));
  record.output = { payload: "x".repeat(Math.max(0, bytes - overhead)) };
  return record;
}

const redisServer = await startRedis();
const redis = new Redis(redisServer.url);
try {
  const store = new ResultStore(redis, { ttlSeconds: 86_400, maxBytes: 1_048_576 });
  const client = new ResultsClient(redis);
  const figures: Record<string, number> = {};
  for (const [bytes, iterations] of [
    [1024, 2000],
    [100 * 1024, 500],
  ] as const) {
    const writes: number[] = [];
    const reads: number[] = [];
    for (let i = 0; i < iterations + 50; i++) {
      const record = recordOf(bytes, i);
      let t = performance.now();
      await store.write(record);
      const write = performance.now() - t;
      t = performance.now();
      const back = await client.read(record.taskRun);
      const read = performance.now() - t;
      if (back?.taskRun.name !== record.taskRun.name) throw new Error("read back a different record");
      if (i >= 50) {
        writes.push(write);
        reads.push(read);
      }
    }
    const f = (v: number[]) =>
      `p50 ${percentile(v, 50).toFixed(3)} ms, p99 ${percentile(v, 99).toFixed(3)} ms`;
    console.log(
      `${bytes / 1024} KB records (${iterations} sequential ops): write ${f(writes)}; read ${f(reads)}`,
    );
    const kb = bytes / 1024;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    figures[`write${kb}KbP50Ms`] = round(percentile(writes, 50));
    figures[`write${kb}KbP99Ms`] = round(percentile(writes, 99));
    figures[`read${kb}KbP50Ms`] = round(percentile(reads, 50));
    figures[`read${kb}KbP99Ms`] = round(percentile(reads, 99));
  }
  emitResult({ bench: "runner-result-store", ...figures });
} finally {
  await redis.quit();
  await redisServer.stop();
}
