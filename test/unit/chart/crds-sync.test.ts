// The chart's crds/ directory is a copy of the generated crds/ (one source of truth); the copy is
// checked for drift here, and the sync step itself is shown to detect and repair drift.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { chartCrdDrift, syncChartCrds } from "../../../scripts/sync-chart-crds.ts";

describe("chart CRDs", () => {
  it("are the generated CRDs, byte for byte (run node scripts/sync-chart-crds.ts after regenerating)", () => {
    expect(chartCrdDrift()).toEqual([]);
  });

  describe("the sync step", () => {
    const dir = mkdtempSync(join(tmpdir(), "crd-sync-"));
    const source = join(dir, "crds");
    const chart = join(dir, "chart-crds");
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("reports a changed, a missing and a stale file, then repairs all three", () => {
      mkdirSync(source, { recursive: true });
      mkdirSync(chart, { recursive: true });
      writeFileSync(join(source, "a.yaml"), "kind: A\n");
      writeFileSync(join(source, "b.yaml"), "kind: B\n");
      writeFileSync(join(chart, "a.yaml"), "kind: A-old\n");
      writeFileSync(join(chart, "gone.yaml"), "kind: Gone\n");
      expect(chartCrdDrift(source, chart)).toEqual([
        "differs from crds/: a.yaml",
        "missing in chart: b.yaml",
        "not in crds/ (stale): gone.yaml",
      ]);
      syncChartCrds(source, chart);
      expect(chartCrdDrift(source, chart)).toEqual([]);
      expect(readFileSync(join(chart, "a.yaml"), "utf8")).toBe("kind: A\n");
    });
  });
});
