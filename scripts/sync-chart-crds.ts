// Copies the generated CRDs (crds/*.yaml, the one source of truth) into the Helm chart's crds/
// directory. `--check` writes nothing and exits 1 naming every file that drifted.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
export const SOURCE_DIR = join(ROOT, "crds");
export const CHART_CRDS_DIR = join(ROOT, "charts", "synthetiq-tasks", "crds");

function yamlFiles(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  const names = readdirSync(dir).filter((name) => name.endsWith(".yaml"));
  return new Map(names.sort().map((name) => [name, readFileSync(join(dir, name), "utf8")]));
}

/** The chart CRD files that differ from crds/: missing, changed, or left over from a removed CRD. */
export function chartCrdDrift(sourceDir = SOURCE_DIR, chartDir = CHART_CRDS_DIR): string[] {
  const source = yamlFiles(sourceDir);
  if (source.size === 0) throw new Error(`no CRDs in ${sourceDir}: run node scripts/generate-schemas.ts`);
  const chart = yamlFiles(chartDir);
  const drift: string[] = [];
  for (const [name, content] of source) {
    if (!chart.has(name)) drift.push(`missing in chart: ${name}`);
    else if (chart.get(name) !== content) drift.push(`differs from crds/: ${name}`);
  }
  for (const name of chart.keys()) if (!source.has(name)) drift.push(`not in crds/ (stale): ${name}`);
  return drift;
}

export function syncChartCrds(sourceDir = SOURCE_DIR, chartDir = CHART_CRDS_DIR): void {
  const source = yamlFiles(sourceDir);
  mkdirSync(chartDir, { recursive: true });
  for (const name of yamlFiles(chartDir).keys()) if (!source.has(name)) rmSync(join(chartDir, name));
  for (const [name, content] of source) writeFileSync(join(chartDir, name), content);
}

function main(argv: string[]) {
  if (!argv.includes("--check")) {
    syncChartCrds();
    console.log(`synced ${CHART_CRDS_DIR} from ${SOURCE_DIR}`);
    return;
  }
  const drift = chartCrdDrift();
  if (drift.length > 0) {
    console.error(`the chart's CRDs are out of date with crds/:\n  ${drift.join("\n  ")}`);
    console.error("run: node scripts/sync-chart-crds.ts");
    process.exit(1);
  }
}

if (import.meta.main) main(process.argv.slice(2));
