// One fast smoke run of the benchmark harness (not timed): the no-op task scenario with the Celery
// and BullMQ baselines at tiny counts, written to a temporary directory, read back.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Report } from "../../../bench/lib/report.ts";
import { runBenchmarks } from "../../../bench/run.ts";

const outDir = mkdtempSync(join(tmpdir(), "bench-smoke-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("bench harness", () => {
  it("reports Celery and BullMQ no-op figures with the CPU and RSS of their processes", async () => {
    const { files } = await runBenchmarks({
      only: ["1"],
      systems: ["celery", "bullmq"],
      quick: true,
      outDir,
    });
    const report = JSON.parse(readFileSync(files.json, "utf8")) as Report;
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.versions.celery).toMatch(/^5\./);
    expect(report.machine.versions.bullmq).toMatch(/^\d+\.\d+/);
    const [noop] = report.scenarios;
    expect(noop?.id).toBe("1");
    expect(noop?.rows.map((r) => r.system)).toEqual([
      expect.stringMatching(/^Celery/),
      expect.stringMatching(/^BullMQ/),
    ]);
    for (const row of noop?.rows ?? []) {
      expect(row.unavailable).toBeUndefined();
      for (const column of ["sequential p50 ms", "sequential p99 ms", "burst p99 ms", "burst tasks/s"]) {
        expect(row.figures[column], `${row.system}: ${column}`).toBeGreaterThan(0);
      }
      expect(row.figures["sequential p99 ms"]).toBeGreaterThanOrEqual(
        row.figures["sequential p50 ms"] as number,
      );
      expect(row.processes?.map((p) => p.label)).toContain("redis-server");
      for (const usage of row.processes ?? []) {
        expect(usage.peakRssMb, `${row.system}: ${usage.label}`).toBeGreaterThan(1);
        expect(Number.isFinite(usage.cpuSeconds)).toBe(true);
      }
    }
    const markdown = readFileSync(files.markdown, "utf8");
    expect(markdown).toContain("| Celery (warm prefork worker");
    expect(markdown).toContain("| BullMQ (warm worker process");
  }, 120_000);
});
