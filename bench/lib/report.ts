// The benchmark report: scenarios with rows of figures (or the reason a row has none) and the CPU
// and RSS of the processes behind each row, written as JSON and as Markdown tables.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineDescription } from "./machine.ts";
import type { ProcessUsage } from "./procstat.ts";

export type Figure = number | string;

export interface Row {
  /** What was measured: "synthetiq (TaskRun → Job → runner → Redis)", "Celery", ... */
  system: string;
  /** Figures by column name, numbers in the unit the column name says ("p50 ms", "tasks/s"). */
  figures: Record<string, Figure>;
  /** Set when the row has no figures: why ("not available yet: the operator ..."). */
  unavailable?: string;
  processes?: ProcessUsage[];
}

export interface Scenario {
  id: string;
  title: string;
  rows: Row[];
  notes: string[];
  seconds: number;
}

export interface Report {
  startedAt: string;
  seconds: number;
  machine: MachineDescription;
  scenarios: Scenario[];
}

export function unavailableRow(system: string, reason: string): Row {
  return { system, figures: {}, unavailable: reason };
}

const cell = (value: Figure | undefined) =>
  value === undefined
    ? ""
    : typeof value === "number"
      ? Number.isFinite(value)
        ? String(value)
        : "n/a"
      : value;
const escapeCell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function table(header: string[], lines: string[][]): string {
  return [header, header.map(() => "---"), ...lines]
    .map((line) => `| ${line.map((c) => escapeCell(c)).join(" | ")} |`)
    .join("\n");
}

export function scenarioMarkdown(scenario: Scenario): string {
  const columns = [...new Set(scenario.rows.flatMap((r) => Object.keys(r.figures)))];
  const out = [`### ${scenario.id}. ${scenario.title}`, ""];
  out.push(
    table(
      ["system", ...columns],
      scenario.rows.map((r) =>
        r.unavailable
          ? [r.system, r.unavailable, ...columns.slice(1).map(() => "")]
          : [r.system, ...columns.map((c) => cell(r.figures[c]))],
      ),
    ),
  );
  const usage = scenario.rows.flatMap((r) => (r.processes ?? []).map((p) => ({ system: r.system, ...p })));
  if (usage.length > 0) {
    out.push(
      "",
      table(
        ["system", "process", "CPU s", "peak RSS MB", "peak processes"],
        usage.map((u) => [u.system, u.label, cell(u.cpuSeconds), cell(u.peakRssMb), cell(u.peakProcesses)]),
      ),
    );
  }
  for (const note of scenario.notes) out.push("", `- ${note}`);
  out.push("", `(scenario took ${scenario.seconds} s)`);
  return out.join("\n");
}

export function reportMarkdown(report: Report): string {
  const m = report.machine;
  const versions = Object.entries(m.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    "## Benchmark results",
    "",
    `Run ${report.startedAt}, ${report.seconds} s in all. Machine: ${m.cores} cores (${m.cpuModel}), ` +
      `${m.memoryGb} GB memory, kernel ${m.kernel}, load average at start ${m.loadAverageAtStart.join(" / ")}. ` +
      `Versions: ${versions}.`,
    "",
    ...report.scenarios.map((s) => `${scenarioMarkdown(s)}\n`),
  ].join("\n");
}

/** Writes latest.json and latest.md into `dir`; returns their paths. */
export function writeReport(report: Report, dir: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "latest.json");
  const markdown = join(dir, "latest.md");
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, reportMarkdown(report));
  return { json, markdown };
}
