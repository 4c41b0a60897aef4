// BullMQ baseline: a warm worker in its own Node process; the client (this process) adds a job and
// waits for it with QueueEvents (job.waitUntilFinished), as BullMQ's documentation does.
import { join } from "node:path";
import { type Job, Queue, QueueEvents } from "bullmq";
import { startProcess, waitFor } from "../../../test/harness/processes.ts";
import { startRedis } from "../../../test/harness/services.ts";
import { redisServerPid } from "../../lib/redis-pid.ts";
import { type Contender, measureInProcess } from "./contender.ts";

const QUEUE = "bench-noop";

export async function startBullmq(concurrency: number): Promise<Contender> {
  const redis = await startRedis();
  const url = new URL(redis.url);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const worker = startProcess(
    "bench-bullmq-worker",
    process.execPath,
    [join(import.meta.dirname, "bullmq-worker.ts")],
    {
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        BULLMQ_QUEUE: QUEUE,
        BULLMQ_CONCURRENCY: String(concurrency),
      },
    },
  );
  const queue = new Queue(QUEUE, { connection });
  const events = new QueueEvents(QUEUE, { connection });
  await events.waitUntilReady();
  await waitFor("the BullMQ worker", async () => (await queue.getWorkersCount()) > 0, 30_000, worker.logFile);
  return {
    processes: [
      { label: "worker (node)", pid: worker.child.pid ?? -1 },
      { label: "redis-server", pid: await redisServerPid(redis.url) },
      { label: "client (bench process)", pid: process.pid },
    ],
    measure: (counts) =>
      measureInProcess(async () => {
        const job: Job = await queue.add("noop", {});
        await job.waitUntilFinished(events, 60_000);
      }, counts),
    async stop() {
      await events.close();
      await queue.close();
      await worker.stop();
      await redis.stop();
    },
  };
}
