// The machine a benchmark run happened on: cores, memory, CPU model, load average at start and the
// versions of everything compared (Node, Python, Celery, BullMQ, Redis, Kubernetes).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { PYTHON_VENV } from "../../test/harness/moto.ts";

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  loadAverageAtStart: [number, number, number];
  kernel: string;
  versions: Record<string, string>;
}

function commandOutput(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 20_000 })
      .toString()
      .trim();
  } catch (error) {
    return `unknown (${(error as Error).message.split("\n")[0]})`;
  }
}

function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join("node_modules", name, "package.json"), "utf8")) as { version: string }
    ).version;
  } catch {
    return "not installed";
  }
}

export function describeMachine(): MachineDescription {
  const python = join(PYTHON_VENV, "bin", "python");
  const [load1, load5, load15] = loadavg().map((x) => Math.round(x * 100) / 100);
  return {
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: [load1 ?? 0, load5 ?? 0, load15 ?? 0],
    kernel: release(),
    versions: {
      node: process.version,
      python: commandOutput(python, ["-c", "import platform; print(platform.python_version())"]),
      celery: commandOutput(python, ["-c", "import celery; print(celery.__version__)"]),
      bullmq: packageVersion("bullmq"),
      ioredis: packageVersion("ioredis"),
      redis: /v=(\S+)/.exec(commandOutput("redis-server", ["--version"]))?.[1] ?? "unknown",
    },
  };
}
