// Benchmark (not a test): runner cold start, from spawning `node dist/runner.js` (rebuilt first
// when stale) to the task function being called with Redis connected (the "task started"
// log line), over ~20 runs, with the runner's peak RSS. Target: p50 < 150 ms, RSS < 80 MB.
// Run: node bench/runner-cold-start.ts [runs]
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtEntry } from "../scripts/build.ts";
import { startRedis } from "../test/harness/services.ts";
import { startSmtpSink } from "../test/harness/smtp.ts";
import { emitResult } from "./lib/child.ts";
import { percentile } from "./lib/stats.ts";

const runs = Number(process.argv[2] ?? 20);
const runner = builtEntry("runner");
// A fresh compile cache per benchmark run: the warm-up runs fill it, as earlier runs do on a node
// whose temp dir persists.
const compileCache = mkdtempSync(join(tmpdir(), "runner-compile-cache-"));
const warmup = 2;

interface Sample {
  spawnToTaskMs: number;
  uptimeAtTaskMs: number;
  rssAtTaskBytes: number;
  maxRssBytes: number;
}

function runOnce(env: Record<string, string>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [runner], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let buffer = "";
    let spawnToTaskMs = Number.NaN;
    let uptimeAtTaskMs = Number.NaN;
    let maxRssBytes = Number.NaN;
    let rssAtTaskBytes = Number.NaN;
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const entry = JSON.parse(line) as {
          msg: string;
          processUptimeMs?: number;
          rssBytes?: number;
          maxRssBytes?: number;
        };
        if (entry.msg === "task started") {
          spawnToTaskMs = performance.now() - start;
          uptimeAtTaskMs = entry.processUptimeMs ?? Number.NaN;
          rssAtTaskBytes = entry.rssBytes ?? Number.NaN;
        }
        if (entry.msg === "attempt finished") maxRssBytes = entry.maxRssBytes ?? Number.NaN;
      }
    });
    child.once("exit", (code) =>
      code === 0
        ? resolve({ spawnToTaskMs, uptimeAtTaskMs, rssAtTaskBytes, maxRssBytes })
        : reject(new Error(`runner exited with ${code}`)),
    );
  });
}

const redis = await startRedis();
const sink = await startSmtpSink();
try {
  const samples: Sample[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const sample = await runOnce({
      PATH: process.env.PATH ?? "",
      NODE_COMPILE_CACHE: compileCache,
      TASK_RUN: JSON.stringify({
        task: "email.send_welcome_email",
        namespace: "bench",
        name: `cold-start-${i}`,
        uid: randomUUID(),
      }),
      TASK_INPUT: JSON.stringify({ email: "bench@example.com", name: "Bench" }),
      REDIS_URL: redis.url,
      SMTP_HOST: sink.host,
      SMTP_PORT: String(sink.port),
      MAIL_FROM: "bench@synthetiq.test",
    });
    if (i >= warmup) samples.push(sample);
  }
  const ms = (values: number[]) =>
    `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms`;
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  const rss = samples.map((s) => s.maxRssBytes);
  const rssAtTask = samples.map((s) => s.rssAtTaskBytes);
  console.log(`runner cold start over ${runs} runs (task email.send_welcome_email, node ${process.version})`);
  console.log(
    `  spawn -> task function called (Redis connected): ${ms(samples.map((s) => s.spawnToTaskMs))}`,
  );
  console.log(
    `  inside the process (since node started):        ${ms(samples.map((s) => s.uptimeAtTaskMs))}`,
  );
  console.log(
    `  RSS when the task function is called:          p50 ${mb(percentile(rssAtTask, 50))}, max ${mb(Math.max(...rssAtTask))}`,
  );
  console.log(
    `  peak RSS of the whole attempt (mail sent):        p50 ${mb(percentile(rss, 50))}, max ${mb(Math.max(...rss))}`,
  );
  const spawnToTask = samples.map((s) => s.spawnToTaskMs);
  const round = (x: number) => Math.round(x * 10) / 10;
  emitResult({
    bench: "runner-cold-start",
    runs,
    spawnToTaskP50Ms: round(percentile(spawnToTask, 50)),
    spawnToTaskP99Ms: round(percentile(spawnToTask, 99)),
    rssAtTaskP50Mb: round(percentile(rssAtTask, 50) / 1024 / 1024),
    peakRssP50Mb: round(percentile(rss, 50) / 1024 / 1024),
    peakRssMaxMb: round(Math.max(...rss) / 1024 / 1024),
  });
} finally {
  await sink.stop();
  await redis.stop();
  rmSync(compileCache, { recursive: true, force: true });
}
