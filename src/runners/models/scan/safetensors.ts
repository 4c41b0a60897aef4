// safetensors header checks (pure): the 8-byte little-endian header length, the JSON header, and
// every tensor's dtype/shape/offsets against each other and the data buffer (overlaps, gaps,
// trailing bytes). The caller reads only the header; tensor data is never loaded.
import { type Finding, finding } from "./findings.ts";

/** safetensors' own limit on the header size. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** Bits per element (sub-byte float formats included). */
const DTYPE_BITS: Record<string, number> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
  C64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
};

/** How many header bytes the caller must read after the first 8, or a finding if the length is invalid. */
export function safetensorsHeaderLength(
  prefix: Buffer,
  fileBytes: number,
  location: string,
): number | Finding {
  if (prefix.length < 8)
    return finding(
      "SAFETENSORS001",
      location,
      `the file has ${fileBytes} bytes, fewer than the 8-byte header length`,
    );
  const length = prefix.readBigUInt64LE(0);
  if (length === 0n || length > BigInt(MAX_SAFETENSORS_HEADER)) {
    return finding(
      "SAFETENSORS001",
      location,
      `header length ${length} is outside 1..${MAX_SAFETENSORS_HEADER}`,
      { offset: 0 },
    );
  }
  if (8n + length > BigInt(fileBytes)) {
    return finding(
      "SAFETENSORS001",
      location,
      `header length ${length} runs past the end of the ${fileBytes}-byte file`,
      { offset: 0 },
    );
  }
  return Number(length);
}

export function checkSafetensorsHeader(
  header: Buffer,
  fileBytes: number,
  location: string,
): { findings: Finding[]; tensors: number } {
  const findings: Finding[] = [];
  const dataBytes = fileBytes - 8 - header.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header.toString("utf8"));
  } catch (error) {
    return {
      findings: [
        finding("SAFETENSORS001", location, `header is not valid JSON: ${(error as Error).message}`, {
          offset: 8,
        }),
      ],
      tensors: 0,
    };
  }
  if (header[0] !== 0x7b || typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return {
      findings: [finding("SAFETENSORS001", location, "header is not a JSON object", { offset: 8 })],
      tensors: 0,
    };
  }
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === "__metadata__") {
      const metadataOk =
        typeof raw === "object" && raw !== null && Object.values(raw).every((v) => typeof v === "string");
      if (!metadataOk)
        findings.push(finding("SAFETENSORS001", location, "__metadata__ must map strings to strings"));
      continue;
    }
    const bad = (why: string) =>
      findings.push(finding("SAFETENSORS002", location, `tensor ${JSON.stringify(name)}: ${why}`));
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const bits = typeof t?.dtype === "string" ? DTYPE_BITS[t.dtype] : undefined;
    if (bits === undefined) {
      bad(`unknown dtype ${JSON.stringify(t?.dtype)}`);
      continue;
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
      continue;
    }
    const offsets = t.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      bad(`data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`);
      continue;
    }
    const [begin, end] = offsets as [number, number];
    const elements = (t.shape as number[]).reduce((a, d) => a * d, 1);
    const expected = Math.ceil((elements * bits) / 8);
    if (end - begin !== expected) {
      bad(
        `${t.dtype} ${JSON.stringify(t.shape)} needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    if (end > dataBytes) {
      bad(`data_offsets end ${end} is past the ${dataBytes}-byte data buffer`);
      continue;
    }
    ranges.push({ name, begin, end });
  }
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as (typeof ranges)[number];
    const previous = ranges[i - 1];
    if (previous && r.begin < previous.end) {
      findings.push(
        finding(
          "SAFETENSORS003",
          location,
          `tensors ${JSON.stringify(previous.name)} and ${JSON.stringify(r.name)} overlap at bytes ${r.begin}..${Math.min(previous.end, r.end)}`,
        ),
      );
    } else if (r.begin > covered) {
      findings.push(
        finding(
          "SAFETENSORS004",
          location,
          `bytes ${covered}..${r.begin} of the data buffer belong to no tensor`,
        ),
      );
    }
    covered = Math.max(covered, r.end);
  }
  if (covered < dataBytes) {
    findings.push(
      finding("SAFETENSORS004", location, `${dataBytes - covered} trailing bytes after the last tensor`, {
        offset: 8 + header.length + covered,
      }),
    );
  }
  return { findings, tensors: ranges.length };
}
