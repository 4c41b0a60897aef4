// The pid of the redis-server behind a URL (INFO server), so its CPU and RSS can be watched.
import { Redis } from "ioredis";

export async function redisServerPid(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
    if (!Number.isInteger(pid)) throw new Error(`no process_id in INFO server of ${url}`);
    return pid;
  } finally {
    redis.disconnect();
  }
}
