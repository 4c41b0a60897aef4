// Celery baseline: a warm prefork worker (bench/celery/noop_app.py) with Redis as broker and result
// backend; the client is a Python process (bench/celery/drive.py) calling `.delay().get()`.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PYTHON_VENV } from "../../../test/harness/moto.ts";
import { startProcess } from "../../../test/harness/processes.ts";
import { startRedis } from "../../../test/harness/services.ts";
import { redisServerPid } from "../../lib/redis-pid.ts";
import type { Contender, NoopCounts, NoopMeasurement } from "./contender.ts";

const APP_DIR = join(import.meta.dirname, "..", "..", "celery");

export async function startCelery(concurrency: number, counts: NoopCounts): Promise<Contender> {
  const redis = await startRedis();
  const env = { ...process.env, REDIS_URL: redis.url, PYTHONDONTWRITEBYTECODE: "1" };
  const worker = startProcess(
    "bench-celery-worker",
    join(PYTHON_VENV, "bin", "celery"),
    [
      "-A",
      "noop_app",
      "worker",
      "--pool=prefork",
      `--concurrency=${concurrency}`,
      "--loglevel=WARNING",
      "--without-gossip",
      "--without-mingle",
      "--without-heartbeat",
    ],
    { env, cwd: APP_DIR },
  );
  const driver = spawn(
    join(PYTHON_VENV, "bin", "python"),
    ["drive.py", String(counts.warmup), String(counts.sequential), String(counts.burst)],
    { env, cwd: APP_DIR, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  driver.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: driver.stdout })[Symbol.asyncIterator]();
  const nextLine = async (what: string): Promise<string> => {
    const { value, done } = await lines.next();
    if (done)
      throw new Error(
        `the Celery driver exited before ${what}: ${stderr.trim()} (worker log: ${worker.logFile})`,
      );
    return value;
  };
  try {
    await nextLine("warming up");
  } catch (error) {
    driver.kill();
    await worker.stop();
    await redis.stop();
    throw error;
  }
  return {
    processes: [
      { label: "worker (celery + prefork children)", pid: worker.child.pid ?? -1, descendants: true },
      { label: "redis-server", pid: await redisServerPid(redis.url) },
      { label: "client (python)", pid: driver.pid ?? -1 },
    ],
    async measure(): Promise<NoopMeasurement> {
      driver.stdin.write("go\n");
      return JSON.parse(await nextLine("reporting its figures")) as NoopMeasurement;
    },
    async stop() {
      if (driver.exitCode === null) driver.kill();
      await worker.stop("SIGTERM", 10_000);
      await redis.stop();
    },
  };
}
