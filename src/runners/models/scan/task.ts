// models.scan_model_security: spools a model artifact (a file, a directory prefix, or a URL) to a
// temporary directory, scans it (ModelScanner), stores the JSON report and SARIF beside each other
// in artifact storage, and returns the verdict, counts, a bounded list of findings and file hashes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { defineTask, PermanentError } from "../../sdk/task.ts";
import {
  artifactKeyPrefix,
  artifactKeySource,
  artifactPrefixSource,
  spoolSource,
  urlSource,
} from "../sources.ts";
import type { Finding, Severity } from "./findings.ts";

const MAX_FINDINGS_IN_RESULT = 100;
const MAX_FILES_IN_RESULT = 200;
export const SCANNER_VERSION = "1.0.0";

export const scanModelSecurityInput = z.object({
  source: z.union([artifactKeySource, artifactPrefixSource, urlSource]),
  /** Where report.json and report.sarif go; default scans/<idempotency key>. */
  reportPrefix: artifactKeyPrefix.optional(),
  maxDownloadBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 ** 3),
  limits: z
    .object({
      maxDepth: z.number().int().min(0).max(16),
      maxExpandedBytes: z.number().int().positive(),
      maxCompressionRatio: z.number().positive(),
      maxArchiveMembers: z.number().int().positive(),
    })
    .partial()
    .default({}),
});

const findingSchema = z.object({
  severity: z.enum(["critical", "high", "medium", "low", "info"]),
  ruleId: z.string(),
  location: z.string(),
  offset: z.number().optional(),
  message: z.string(),
});

export const scanModelSecurityOutput = z.object({
  verdict: z.enum(["malicious", "suspicious", "clean"]),
  counts: z.record(z.enum(["critical", "high", "medium", "low", "info"]), z.number()),
  findings: z.array(findingSchema),
  findingsTruncated: z.boolean(),
  files: z.array(z.object({ path: z.string(), bytes: z.number(), sha256: z.string(), format: z.string() })),
  filesTotal: z.number(),
  bytesScanned: z.number(),
  reportKey: z.string(),
  sarifKey: z.string(),
});

const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

export const scanModelSecurity = defineTask({
  name: "models.scan_model_security",
  queue: "models",
  description:
    "Scans a model artifact (pickle, PyTorch zip, NumPy, safetensors, Keras, ONNX, zip/tar archives) without loading it; returns findings, a verdict and SARIF.",
  input: scanModelSecurityInput,
  output: scanModelSecurityOutput,
  retry: { maxAttempts: 3, backoff: { initialSeconds: 30, factor: 2, maxSeconds: 600 } },
  timeouts: { softSeconds: 3600 },
  async run(input, ctx) {
    // The scanner is loaded on first use: the registry imports this module on every cold start.
    const [{ DEFAULT_SCAN_LIMITS, ModelScanner }, { SEVERITY_ORDER, verdictOf }, { toSarif }] =
      await Promise.all([import("./scanner.ts"), import("./findings.ts"), import("./sarif.ts")]);
    const store = () => ctx.services.artifacts();
    const dir = await mkdtemp(join(tmpdir(), "model-scan-"));
    try {
      ctx.progress(0, "downloading");
      const files = await spoolSource(input.source, {
        store,
        dir: join(dir, "in"),
        limit: input.maxDownloadBytes,
        signal: ctx.signal,
      });
      const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
      let scanned = 0;
      const scanner = new ModelScanner({
        limits: { ...DEFAULT_SCAN_LIMITS, ...input.limits },
        tempDir: dir,
        signal: ctx.signal,
        onBytes: (bytes) => {
          scanned += bytes;
          ctx.progress(
            0.05 + 0.9 * (scanned / Math.max(totalBytes, 1)),
            `scanned ${scanned} of ${totalBytes} bytes`,
          );
        },
      });
      for (const file of files) await scanner.scanFile(file.path, file.name);
      const findings = scanner.findings.sort(
        (a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity),
      );
      const verdict = verdictOf(findings);
      const prefix = input.reportPrefix ?? `scans/${ctx.idempotencyKey}`;
      const report = {
        verdict,
        counts: countBySeverity(findings),
        findings,
        files: scanner.files,
        scanner: SCANNER_VERSION,
      };
      const sarif = toSarif(findings, scanner.files, {
        name: "synthetiq-model-scanner",
        version: SCANNER_VERSION,
      });
      const reportKey = `${prefix}/report.json`;
      const sarifKey = `${prefix}/report.sarif`;
      try {
        await store().put(reportKey, Buffer.from(JSON.stringify(report, null, 2)), {
          contentType: "application/json",
        });
        await store().put(sarifKey, Buffer.from(JSON.stringify(sarif, null, 2)), {
          contentType: "application/sarif+json",
        });
      } catch (error) {
        if ((error as Error).name === "InvalidArtifactKeyError")
          throw new PermanentError(`reportPrefix: ${(error as Error).message}`);
        throw error;
      }
      ctx.progress(1, verdict);
      ctx.log.info("model scanned", {
        verdict,
        findings: findings.length,
        files: scanner.files.length,
        bytes: totalBytes,
      });
      return {
        verdict,
        counts: report.counts,
        findings: findings.slice(0, MAX_FINDINGS_IN_RESULT),
        findingsTruncated: findings.length > MAX_FINDINGS_IN_RESULT,
        files: scanner.files.slice(0, MAX_FILES_IN_RESULT),
        filesTotal: scanner.files.length,
        bytesScanned: totalBytes,
        reportKey,
        sarifKey,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
