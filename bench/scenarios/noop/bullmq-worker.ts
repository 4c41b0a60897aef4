// The BullMQ baseline's worker process: a no-op processor on one queue, kept warm.
// Run: REDIS_URL=redis://127.0.0.1:6379 BULLMQ_QUEUE=bench-noop BULLMQ_CONCURRENCY=2 node bench/scenarios/noop/bullmq-worker.ts
import { Worker } from "bullmq";

const url = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const worker = new Worker(process.env.BULLMQ_QUEUE ?? "bench-noop", async () => ({ ok: true }), {
  connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
  concurrency: Number(process.env.BULLMQ_CONCURRENCY ?? 2),
});
await worker.waitUntilReady();
process.once("SIGTERM", () => {
  void worker.close().then(() => process.exit(0));
});
