// Generates the scanner's sample artifacts with the project's real Python (pickle, zipfile, numpy)
// and runs picklescan on them as a peer. Shared by the scan test and the benchmark.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { PYTHON_VENV } from "../../harness/moto.ts";

const run = promisify(execFile);
const GENERATOR = join(import.meta.dirname, "..", "..", "fixtures", "models", "generate_scan_samples.py");

export interface Sample {
  file: string;
  /** The verdict the sample is built to deserve. */
  expect: "malicious" | "suspicious" | "clean";
  kind: string;
}

export async function generateSamples(
  dir: string,
  options: { benchMegabytes?: number } = {},
): Promise<Sample[]> {
  const args = [
    GENERATOR,
    dir,
    ...(options.benchMegabytes ? ["--bench", String(options.benchMegabytes)] : []),
  ];
  const { stdout } = await run(join(PYTHON_VENV, "bin", "python"), args, { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Sample[];
}

/** picklescan's verdict on one file: 0 clean, 1 infected (dangerous globals), 2 scan error. */
export async function picklescan(path: string): Promise<0 | 1 | 2> {
  try {
    await run(join(PYTHON_VENV, "bin", "picklescan"), ["-p", path]);
    return 0;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 1 || code === 2) return code;
    throw error;
  }
}
