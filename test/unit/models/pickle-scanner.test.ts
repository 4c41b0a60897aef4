// The pickle opcode parser and the global policy, on hand-assembled streams (no Python needed).
import { describe, expect, it } from "vitest";
import { classifyGlobal } from "../../../src/runners/models/scan/callables.ts";
import { PickleScanner, type PickleScanResult } from "../../../src/runners/models/scan/pickle.ts";
import { pickleFindings } from "../../../src/runners/models/scan/pickle-findings.ts";

const shortUnicode = (s: string) => Buffer.concat([Buffer.from([0x8c, s.length]), Buffer.from(s)]);
const PROTO4 = Buffer.from([0x80, 0x04]);
const STOP = Buffer.from(".");

function scan(bytes: Buffer, chunk = bytes.length): PickleScanResult {
  const scanner = new PickleScanner();
  for (let i = 0; i < bytes.length; i += chunk) scanner.write(bytes.subarray(i, i + chunk));
  return scanner.end();
}

/** posix.system("id") through STACK_GLOBAL with memoized strings read back by BINGET. */
const memoStackGlobal = Buffer.concat([
  PROTO4,
  shortUnicode("posix"),
  Buffer.from([0x94]),
  shortUnicode("system"),
  Buffer.from([0x94, 0x68, 0x00, 0x68, 0x01, 0x93]),
  shortUnicode("id"),
  Buffer.from([0x85, 0x52]),
  STOP,
]);

describe("PickleScanner", () => {
  it("resolves STACK_GLOBAL operands through the memo and sees the call", () => {
    const result = scan(memoStackGlobal);
    expect(result.globals.map((g) => `${g.module}.${g.name}`)).toEqual(["posix.system"]);
    expect(result.called).toEqual(["posix.system"]);
    expect(result.error).toBeUndefined();
  });

  it("gives the same answer whatever the chunking", () => {
    const whole = scan(memoStackGlobal);
    for (const size of [1, 2, 3, 7]) expect(scan(memoStackGlobal, size)).toEqual(whole);
  });

  it("reads protocol-0 GLOBAL and INST lines", () => {
    const global = scan(Buffer.from("cos\nsystem\n(S'id'\ntR."));
    expect(global.globals[0]).toMatchObject({ module: "os", name: "system", opcode: "GLOBAL" });
    const inst = scan(Buffer.from("(S'id'\nisubprocess\ncheck_output\n."));
    expect(inst.globals[0]).toMatchObject({ module: "subprocess", name: "check_output", opcode: "INST" });
    expect(inst.called).toEqual(["subprocess.check_output"]);
  });

  it("skips a huge BINBYTES payload without buffering and keeps parsing after it", () => {
    const payload = Buffer.alloc(5_000_000, 0x61);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(payload.length);
    const bytes = Buffer.concat([
      PROTO4,
      Buffer.from([0x42]),
      length,
      payload,
      Buffer.from([0x30]),
      memoStackGlobal.subarray(2),
    ]);
    const result = scan(bytes, 65_536);
    expect(result.globals.map((g) => g.name)).toEqual(["system"]);
  });

  it("flags STACK_GLOBAL operands that are not strings as unresolved", () => {
    const bytes = Buffer.concat([
      PROTO4,
      Buffer.from([0x4e]),
      shortUnicode("system"),
      Buffer.from([0x93]),
      STOP,
    ]);
    expect(scan(bytes).unresolved).toHaveLength(1);
  });

  it("reports truncation, unknown opcodes and bad memo reads as errors", () => {
    expect(scan(memoStackGlobal.subarray(0, 10)).error?.message).toMatch(/truncated/);
    expect(scan(Buffer.from([0x80, 0x04, 0xff])).error?.message).toMatch(/unknown opcode 0xff/);
    expect(scan(Buffer.from([0x80, 0x04, 0x68, 0x05, 0x2e])).error?.message).toMatch(/never set/);
  });

  it("reads consecutive pickles, then stops at non-pickle trailing bytes", () => {
    const benign = Buffer.concat([PROTO4, Buffer.from([0x4e]), STOP]);
    const result = scan(Buffer.concat([benign, memoStackGlobal, Buffer.from("raw storage bytes")]));
    expect(result.pickles).toBe(2);
    expect(result.globals.map((g) => g.name)).toEqual(["system"]);
    expect(result.trailingBytes).toBe("raw storage bytes".length);
  });

  it("records EXT codes", () => {
    expect(scan(Buffer.from([0x80, 0x02, 0x82, 0x07, 0x2e])).extensions).toEqual([{ offset: 2, code: 7 }]);
  });
});

describe("global policy", () => {
  it.each([
    ["os", "system", "dangerous"],
    ["posix", "system", "dangerous"],
    ["subprocess", "Popen", "dangerous"],
    ["builtins", "eval", "dangerous"],
    ["__builtin__", "eval", "dangerous"],
    ["builtins", "__import__", "dangerous"],
    ["os.path", "join", "dangerous"],
    ["operator", "attrgetter", "dangerous"],
    ["torch._utils", "_rebuild_tensor_v2", "safe"],
    ["torch", "FloatStorage", "safe"],
    ["torch", "bfloat16", "safe"],
    ["collections", "OrderedDict", "safe"],
    ["numpy.core.multiarray", "_reconstruct", "safe"],
    ["numpy.dtypes", "Float64DType", "safe"],
    ["__builtin__", "set", "safe"],
    ["sklearn.linear_model", "LogisticRegression", "unknown"],
    ["torch", "load", "dangerous"],
  ])("%s.%s is %s", (module, name, expected) => {
    expect(classifyGlobal(module, name)).toBe(expected);
  });

  it("turns what the parser saw into findings with offsets", () => {
    const findings = pickleFindings(scan(memoStackGlobal), "model.pkl");
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: "PICKLE001",
        severity: "critical",
        location: "model.pkl",
        offset: 23,
      }),
    ]);
    expect(findings[0]?.message).toMatch(/posix\.system \(STACK_GLOBAL, called\)/);
  });
});
