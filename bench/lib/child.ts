// Running one existing benchmark script (bench/*.ts) as a child process, bounded in time, with the
// CPU and RSS of its whole process tree, and reading the JSON line it prints at the end.
import { spawn } from "node:child_process";
import { ProcessSampler, type ProcessUsage } from "./procstat.ts";

export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  seconds: number;
  usage: ProcessUsage;
}

/** Marks a benchmark's machine-readable result: `BENCH_RESULT {"bench": ..., ...}` on one line. */
export const RESULT_PREFIX = "BENCH_RESULT ";

/** Prints a benchmark's figures as one line that bench/run.ts reads back. */
export function emitResult(figures: Record<string, unknown>): void {
  console.log(`${RESULT_PREFIX}${JSON.stringify(figures)}`);
}

/** The figures of the last BENCH_RESULT line (or the last line that is a JSON object), if any. */
export function resultOf(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.split("\n").reverse();
  const marked = lines.find((l) => l.startsWith(RESULT_PREFIX));
  const candidate = marked ? marked.slice(RESULT_PREFIX.length) : lines.find((l) => l.trim().startsWith("{"));
  if (!candidate) return undefined;
  try {
    return JSON.parse(candidate) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function runBenchScript(script: string, args: string[], timeoutMs: number): Promise<ChildRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so a timeout ends everything it started
  });
  const sampler = new ProcessSampler([{ label: script, pid: child.pid ?? -1, descendants: true }]).start();
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let timedOut = false;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid ?? 0), signal);
    } catch {
      // the group is gone already
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup("SIGTERM");
    setTimeout(() => killGroup("SIGKILL"), 15_000).unref();
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once("exit", (code) => {
      clearTimeout(timer);
      const [usage] = sampler.stop();
      resolve({
        code,
        stdout,
        stderr,
        timedOut,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        usage: usage as ProcessUsage,
      });
    });
  });
}
