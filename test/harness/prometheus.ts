// A real Prometheus (Debian's `prometheus`) for tests, on loopback in its own temporary directory:
// scrapes the given targets, optionally loads rule files, and answers instant queries.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort, HARNESS_DIR, startProcess, waitFor } from "./processes.ts";

export interface ScrapeJob {
  job: string;
  /** host:port pairs on loopback. */
  targets: string[];
  metricsPath?: string;
}

export interface QueryResult {
  status: "success" | "error";
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export interface RunningPrometheus {
  url: string;
  /** An instant query through /api/v1/query; a PromQL syntax error comes back as status "error". */
  query(expr: string): Promise<QueryResult>;
  stop(): Promise<void>;
}

export async function startPrometheus(
  options: { jobs?: ScrapeJob[]; ruleFiles?: string[]; scrapeIntervalSeconds?: number } = {},
): Promise<RunningPrometheus> {
  const { jobs = [], ruleFiles = [], scrapeIntervalSeconds = 1 } = options;
  mkdirSync(HARNESS_DIR, { recursive: true });
  const dir = mkdtempSync(join(HARNESS_DIR, "prometheus-"));
  const port = await freePort();
  const config = {
    global: {
      scrape_interval: `${scrapeIntervalSeconds}s`,
      evaluation_interval: `${scrapeIntervalSeconds}s`,
    },
    rule_files: ruleFiles,
    scrape_configs: jobs.map((job) => ({
      job_name: job.job,
      metrics_path: job.metricsPath ?? "/metrics",
      static_configs: [{ targets: job.targets }],
    })),
  };
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, stringify(config));
  const proc = startProcess(`prometheus-${port}`, "prometheus", [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--storage.tsdb.retention.time=1h",
  ]);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `prometheus on port ${port}`,
      async () => (await fetch(`${url}/-/ready`)).ok,
      30_000,
      proc.logFile,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: expr }),
      });
      return (await response.json()) as QueryResult;
    },
    stop,
  };
}
