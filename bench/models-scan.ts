// Benchmark (not a test): model-scan throughput in MB/s, ours (ModelScanner: one streaming pass
// with SHA-256) against picklescan (the Python peer) on the same pickle files, in one run.
// Files come from test/fixtures/models/generate_scan_samples.py --bench MB (numpy-heavy pickles at
// protocols 2 and 4, and a pickle of many small Python objects). Each side scans each file
// `rounds` times; the best round counts. picklescan's interpreter start-up is measured on an
// empty directory and reported separately (and subtracted in the "warm" column).
// Run: node bench/models-scan.ts [megabytes=64] [rounds=3]
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DEFAULT_SCAN_LIMITS, ModelScanner } from "../src/runners/models/scan/scanner.ts";
import { PYTHON_VENV } from "../test/harness/moto.ts";
import { generateSamples } from "../test/integration/models/samples.ts";
import { emitResult } from "./lib/child.ts";

const run = promisify(execFile);
const megabytes = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), "bench-scan-"));

async function best(fn: () => Promise<void>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await fn();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

async function picklescan(path: string): Promise<void> {
  await run(join(PYTHON_VENV, "bin", "picklescan"), ["-p", path]).catch((error) => {
    if ((error as { code?: number }).code !== 1) throw error;
  });
}

try {
  const samples = (await generateSamples(join(dir, "samples"), { benchMegabytes: megabytes })).filter(
    (s) => s.kind === "bench",
  );
  const empty = join(dir, "empty");
  mkdirSync(empty);
  const startupMs = await best(() => picklescan(empty));
  const rows = [];
  for (const sample of samples) {
    const path = join(dir, "samples", sample.file);
    const mb = statSync(path).size / 1024 / 1024;
    const oursMs = await best(async () => {
      const scanner = new ModelScanner({ limits: DEFAULT_SCAN_LIMITS, tempDir: dir });
      await scanner.scanFile(path, sample.file);
      if (scanner.findings.length > 0) throw new Error(`unexpected findings in ${sample.file}`);
    });
    const peerMs = await best(() => picklescan(path));
    rows.push({
      file: sample.file,
      MB: mb.toFixed(1),
      "ours MB/s": (mb / (oursMs / 1000)).toFixed(0),
      "picklescan MB/s": (mb / (peerMs / 1000)).toFixed(0),
      "picklescan warm MB/s": (mb / (Math.max(peerMs - startupMs, 1) / 1000)).toFixed(0),
      "ours ms": oursMs.toFixed(0),
      "picklescan ms": peerMs.toFixed(0),
    });
  }
  console.log(`picklescan start-up (empty directory): ${startupMs.toFixed(0)} ms; best of ${rounds} rounds`);
  console.table(rows);
  console.log("ours = one streaming pass: opcode parse + SHA-256 of every byte; picklescan does not hash.");
  emitResult({ bench: "models-scan", picklescanStartupMs: Math.round(startupMs), rounds, files: rows });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
