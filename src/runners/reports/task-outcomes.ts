// Task outcomes for a report period, counted from the result records the runners keep in Redis
// (latest record per TaskRun, docs/runner.md). Records expire (RESULT_TTL_SECONDS, one day by
// default), so the counts cover the runs whose records still exist.
import type { Redis } from "ioredis";
import { latestResultKey } from "../results/keys.ts";
import type { ResultRecord } from "../results/record.ts";

export interface TaskOutcome {
  task: string;
  succeeded: number;
  /** Failed for good: permanently, or on the last allowed attempt. */
  failed: number;
  /** Failed, with another attempt to follow. */
  retrying: number;
}

/** Counts, per task, the TaskRuns whose latest attempt finished within [start, end). */
export async function countTaskOutcomes(redis: Redis, start: Date, end: Date): Promise<TaskOutcome[]> {
  const pattern = latestResultKey({ namespace: "*", name: "*" });
  const perTask = new Map<string, TaskOutcome>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    // Attempt records (…:attempt:N) duplicate the latest one; Kubernetes names have no ':'.
    const latest = keys.filter((key) => !key.slice(pattern.length - 3).includes(":"));
    if (latest.length === 0) continue;
    for (const json of await redis.mget(latest)) {
      if (!json) continue;
      const record = JSON.parse(json) as ResultRecord;
      if (record.status === "running" || !record.finishedAt) continue;
      const finished = Date.parse(record.finishedAt);
      if (!(finished >= start.getTime() && finished < end.getTime())) continue;
      const outcome = perTask.get(record.task) ?? { task: record.task, succeeded: 0, failed: 0, retrying: 0 };
      if (record.status === "succeeded") outcome.succeeded++;
      else if (record.final) outcome.failed++;
      else outcome.retrying++;
      perTask.set(record.task, outcome);
    }
  } while (cursor !== "0");
  return [...perTask.values()].sort((a, b) => a.task.localeCompare(b.task));
}
