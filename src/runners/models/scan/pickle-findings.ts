// Turns what the pickle parser saw into findings (pure): dangerous and unknown globals, unresolved
// STACK_GLOBALs, extension codes, malformed streams.
import { classifyGlobal, normalizeModule } from "./callables.ts";
import { type Finding, finding } from "./findings.ts";
import type { PickleScanResult } from "./pickle.ts";

export function pickleFindings(result: PickleScanResult, location: string, baseOffset = 0): Finding[] {
  const findings: Finding[] = [];
  const called = new Set(result.called);
  const seen = new Set<string>();
  for (const g of result.globals) {
    const qualified = `${normalizeModule(g.module)}.${g.name}`;
    if (seen.has(qualified)) continue;
    seen.add(qualified);
    const safety = classifyGlobal(g.module, g.name);
    if (safety === "safe") continue;
    const how = `${qualified} (${g.opcode}${called.has(`${g.module}.${g.name}`) ? ", called" : ""})`;
    findings.push(
      safety === "dangerous"
        ? finding("PICKLE001", location, `imports dangerous callable ${how}`, {
            offset: baseOffset + g.offset,
          })
        : finding("PICKLE002", location, `imports ${how}, which is not on the safe-list`, {
            offset: baseOffset + g.offset,
          }),
    );
  }
  for (const u of result.unresolved) {
    findings.push(
      finding("PICKLE003", location, `STACK_GLOBAL with unresolvable operands: ${u.reason}`, {
        offset: baseOffset + u.offset,
      }),
    );
  }
  for (const e of result.extensions) {
    findings.push(
      finding("PICKLE005", location, `imports extension code ${e.code} from the copyreg registry`, {
        offset: baseOffset + e.offset,
      }),
    );
  }
  if (result.error) {
    findings.push(
      finding("PICKLE004", location, `malformed pickle: ${result.error.message}`, {
        offset: baseOffset + result.error.offset,
      }),
    );
  }
  return findings;
}
