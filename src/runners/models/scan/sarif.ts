// SARIF 2.1.0 from scan findings (pure): one run, the rule catalogue, one result per finding with
// its artifact location (archive members as "outer!inner") and the SHA-256 of every scanned file.
import { type Finding, RULES, type Severity } from "./findings.ts";
import type { ScannedFile } from "./scanner.ts";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
};

/** SARIF's security-severity convention (0..10) used by code-scanning UIs. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.0",
  low: "3.0",
  info: "0.0",
};

export function toSarif(
  findings: readonly Finding[],
  files: readonly ScannedFile[],
  tool: { name: string; version: string },
) {
  const ruleIds = Object.keys(RULES) as (keyof typeof RULES)[];
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: tool.name,
            version: tool.version,
            rules: ruleIds.map((id) => ({
              id,
              name: RULES[id].name,
              shortDescription: { text: RULES[id].text },
              defaultConfiguration: { level: LEVEL[RULES[id].severity] },
              properties: { "security-severity": SECURITY_SEVERITY[RULES[id].severity] },
            })),
          },
        },
        artifacts: files.map((f) => ({
          location: { uri: f.path },
          length: f.bytes,
          hashes: { "sha-256": f.sha256 },
        })),
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: ruleIds.indexOf(f.ruleId),
          level: LEVEL[f.severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.location },
                ...(f.offset === undefined ? {} : { region: { byteOffset: f.offset } }),
              },
            },
          ],
          properties: { severity: f.severity },
        })),
      },
    ],
  };
}
