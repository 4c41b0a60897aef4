// moto in server mode (AWS S3 and ECR APIs) on loopback, from the project's Python venv.
import { homedir } from "node:os";
import { join } from "node:path";
import { freePort, startProcess, waitFor } from "./processes.ts";

export const PYTHON_VENV = process.env.SYNTHETIQ_VENV ?? join(homedir(), ".cache", "synthetiq-tasks", "venv");

export interface RunningMoto {
  endpoint: string;
  /** Fake credentials moto accepts; set them as AWS_* env vars for SDK clients. */
  credentials: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string; AWS_REGION: string };
  stop(): Promise<void>;
}

export async function startMoto(): Promise<RunningMoto> {
  const port = await freePort();
  const proc = startProcess(`moto-${port}`, join(PYTHON_VENV, "bin", "moto_server"), [
    "-H",
    "127.0.0.1",
    "-p",
    String(port),
  ]);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(
    `moto on port ${port}`,
    async () => (await fetch(`${endpoint}/moto-api/`)).ok,
    60_000,
    proc.logFile,
  );
  return {
    endpoint,
    credentials: { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1" },
    stop: () => proc.stop(),
  };
}
