// Pure format checks: safetensors headers, .npy headers, archive paths, tar reading, ONNX paths,
// Keras Lambda layers, format detection, verdicts and SARIF.
import { describe, expect, it } from "vitest";
import { linkEscapes, unsafeMemberPath } from "../../../src/runners/models/scan/archive-paths.ts";
import { detectFormat } from "../../../src/runners/models/scan/detect.ts";
import { type Finding, finding, verdictOf } from "../../../src/runners/models/scan/findings.ts";
import { findLambdaLayers } from "../../../src/runners/models/scan/keras.ts";
import { parseNpyHeader } from "../../../src/runners/models/scan/numpy.ts";
import { unsafeExternalPath } from "../../../src/runners/models/scan/onnx.ts";
import {
  checkSafetensorsHeader,
  safetensorsHeaderLength,
} from "../../../src/runners/models/scan/safetensors.ts";
import { toSarif } from "../../../src/runners/models/scan/sarif.ts";
import { readTar, TarFormatError, type TarMember } from "../../../src/runners/models/scan/tar.ts";
import { tarOf } from "../../fixtures/models/oci-image.ts";

const header = (json: unknown) => Buffer.from(JSON.stringify(json));
const F32 = (shape: number[], begin: number, end: number) => ({
  dtype: "F32",
  shape,
  data_offsets: [begin, end],
});

describe("safetensors", () => {
  it("accepts a consistent header", () => {
    const h = header({ a: F32([2], 0, 8), b: F32([1], 8, 12) });
    expect(checkSafetensorsHeader(h, 8 + h.length + 12, "m").findings).toEqual([]);
  });

  it("bounds the header length by the limit and the file size", () => {
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(500n);
    expect(safetensorsHeaderLength(prefix, 100, "m")).toMatchObject({ ruleId: "SAFETENSORS001" });
    expect(safetensorsHeaderLength(prefix, 1000, "m")).toBe(500);
    prefix.writeBigUInt64LE(0n);
    expect(safetensorsHeaderLength(prefix, 1000, "m")).toMatchObject({ ruleId: "SAFETENSORS001" });
  });

  it("finds size mismatches, out-of-range offsets, unknown dtypes, overlaps, gaps and trailing bytes", () => {
    const rules = (json: unknown, dataBytes: number) => {
      const h = header(json);
      return checkSafetensorsHeader(h, 8 + h.length + dataBytes, "m").findings.map((f) => f.ruleId);
    };
    expect(rules({ a: F32([3], 0, 8) }, 8)).toContain("SAFETENSORS002");
    expect(rules({ a: F32([4], 0, 16) }, 8)).toContain("SAFETENSORS002");
    expect(rules({ a: { dtype: "X9", shape: [1], data_offsets: [0, 1] } }, 1)).toContain("SAFETENSORS002");
    expect(rules({ a: F32([2], 0, 8), b: F32([1], 4, 8) }, 8)).toContain("SAFETENSORS003");
    expect(rules({ a: F32([1], 4, 8) }, 8)).toEqual(["SAFETENSORS004"]);
    expect(rules({ a: F32([1], 0, 4) }, 8)).toEqual(["SAFETENSORS004"]);
    expect(checkSafetensorsHeader(Buffer.from("[1]"), 20, "m").findings[0]?.ruleId).toBe("SAFETENSORS001");
  });
});

describe(".npy headers", () => {
  const npy = (descr: string) => {
    const text = `${`{'descr': ${descr}, 'fortran_order': False, 'shape': (2,), }`.padEnd(117, " ")}\n`;
    const length = Buffer.alloc(2);
    length.writeUInt16LE(text.length);
    return Buffer.concat([
      Buffer.from([0x93]),
      Buffer.from("NUMPY"),
      Buffer.from([1, 0]),
      length,
      Buffer.from(text),
    ]);
  };
  it("tells object arrays (also inside structured dtypes) from numeric ones", () => {
    expect(parseNpyHeader(npy("'<f4'"))).toMatchObject({ hasObjects: false, dataOffset: 128 });
    expect(parseNpyHeader(npy("'|O'"))).toMatchObject({ hasObjects: true });
    expect(parseNpyHeader(npy("[('a', '<i4'), ('b', '|O')]"))).toMatchObject({ hasObjects: true });
    expect(parseNpyHeader(npy("'|O'").subarray(0, 20))).toBe("more");
  });
});

describe("archive paths", () => {
  it.each([
    ["model/weights.bin", null],
    ["a/../b", null],
    ["../evil", "it climbs above the archive root with '..'"],
    ["a/../../evil", "it climbs above the archive root with '..'"],
    ["/etc/passwd", "it is absolute"],
    ["C:\\Windows\\x", "it names a drive"],
    ["..\\evil", "it climbs above the archive root with '..'"],
  ])("%s", (path, expected) => {
    expect(unsafeMemberPath(path)).toBe(expected);
  });

  it("resolves link targets relative to the link", () => {
    expect(linkEscapes("model/link", "weights.bin")).toBe(false);
    expect(linkEscapes("model/link", "../other")).toBe(false);
    expect(linkEscapes("model/link", "../../etc/passwd")).toBe(true);
    expect(linkEscapes("model/link", "/etc/passwd")).toBe(true);
  });
});

describe("readTar", () => {
  it("reads members and their content across any chunking", async () => {
    const tar = tarOf({ "a.txt": Buffer.from("hello"), "dir/b.bin": Buffer.alloc(1000, 7) });
    for (const size of [1, 100, 512, tar.length]) {
      const members: TarMember[] = [];
      const contents: Record<string, number> = {};
      const chunks = async function* () {
        for (let i = 0; i < tar.length; i += size) yield tar.subarray(i, i + size);
      };
      await readTar(chunks(), (m) => {
        members.push(m);
        contents[m.path] = 0;
        return {
          write: (c) => {
            contents[m.path] = (contents[m.path] ?? 0) + c.length;
          },
          end: () => {},
        };
      });
      expect(members.map((m) => m.path)).toEqual(["a.txt", "dir/b.bin"]);
      expect(contents).toEqual({ "a.txt": 5, "dir/b.bin": 1000 });
    }
  });

  it("refuses a corrupted header checksum", async () => {
    const tar = tarOf({ "a.txt": Buffer.from("x") });
    tar[0] = 0x62;
    const once = async function* () {
      yield tar;
    };
    await expect(readTar(once(), () => null)).rejects.toBeInstanceOf(TarFormatError);
  });
});

describe("other checks", () => {
  it("ONNX external data must stay inside the model directory", () => {
    expect(unsafeExternalPath("weights/w.bin")).toBeNull();
    expect(unsafeExternalPath("../w.bin")).toMatch(/\.\./);
    expect(unsafeExternalPath("/abs/w.bin")).toMatch(/absolute/);
    expect(unsafeExternalPath("https://x/w.bin")).toMatch(/URL/);
  });

  it("finds Lambda layers anywhere in a Keras config", () => {
    const config = {
      config: {
        layers: [
          { class_name: "Dense" },
          { class_name: "Lambda", config: { name: "f" } },
          { layers: [{ class_name: "Lambda" }] },
        ],
      },
    };
    expect(findLambdaLayers(config)).toEqual(["f", "$.config.layers[2].layers[0]"]);
  });

  it("detects formats by magic first, then by name", () => {
    expect(detectFormat("x.bin", Buffer.from("PK\x03\x04rest"), 100)).toBe("zip");
    expect(detectFormat("x", Buffer.from([0x80, 0x02, 0x7d]), 100)).toBe("pickle");
    expect(detectFormat("weights.bin", Buffer.alloc(16), 100)).toBe("unknown");
    expect(detectFormat("model.pkl", Buffer.from("(dp0\n"), 100)).toBe("pickle");
    expect(detectFormat("m.safetensors", Buffer.alloc(4), 4)).toBe("safetensors");
  });

  it("derives the verdict from the worst severity", () => {
    const f = (severity: Finding["severity"]) => finding("PICKLE002", "x", "m", { severity });
    expect(verdictOf([])).toBe("clean");
    expect(verdictOf([f("low")])).toBe("clean");
    expect(verdictOf([f("medium"), f("low")])).toBe("suspicious");
    expect(verdictOf([f("critical"), f("medium")])).toBe("malicious");
  });

  it("writes SARIF results that point at their rule and artifact", () => {
    const findings = [finding("PICKLE001", "a.zip!data.pkl", "imports os.system", { offset: 12 })];
    const sarif = toSarif(findings, [{ path: "a.zip", bytes: 10, sha256: "ab", format: "zip" }], {
      name: "t",
      version: "1",
    });
    const run = sarif.runs[0];
    const result = run?.results[0];
    expect(sarif.version).toBe("2.1.0");
    expect(run?.tool.driver.rules[result?.ruleIndex ?? -1]?.id).toBe("PICKLE001");
    expect(result).toMatchObject({
      level: "error",
      locations: [
        { physicalLocation: { artifactLocation: { uri: "a.zip!data.pkl" }, region: { byteOffset: 12 } } },
      ],
    });
    expect(run?.artifacts[0]).toEqual({
      location: { uri: "a.zip" },
      length: 10,
      hashes: { "sha-256": "ab" },
    });
  });
});
