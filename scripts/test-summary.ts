// Prints the closing line CI reads ("tests: N passed, N failed, N skipped") from vitest's JSON
// report, and exits non-zero when a test failed or none ran.
import { readFileSync } from "node:fs";

const reportPath = process.argv[2] ?? ".cache/vitest-report.json";
let report: { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
try {
  report = JSON.parse(readFileSync(reportPath, "utf8"));
} catch (error) {
  console.error(`no vitest report at ${reportPath}: ${String(error)}`);
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
process.exit(report.numFailedTests > 0 || report.numPassedTests === 0 ? 1 : 0);
