// .npy header parsing (pure): version, header length and the dtype description, enough to tell
// whether the array holds Python objects (then the data after the header is a pickle).

export interface NpyHeader {
  /** Total bytes of magic + version + length + header; the array data starts here. */
  dataOffset: number;
  descr: string;
  hasObjects: boolean;
}

export const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** Returns the header, "more" when the prefix is too short, or an error message. */
export function parseNpyHeader(prefix: Buffer): NpyHeader | "more" | { error: string } {
  if (prefix.length < 10) return "more";
  if (!prefix.subarray(0, 6).equals(NPY_MAGIC)) return { error: "missing \\x93NUMPY magic" };
  const major = prefix[6] as number;
  if (major < 1 || major > 3) return { error: `unsupported .npy version ${major}` };
  const lengthBytes = major === 1 ? 2 : 4;
  if (prefix.length < 8 + lengthBytes) return "more";
  const headerLength = major === 1 ? prefix.readUInt16LE(8) : prefix.readUInt32LE(8);
  if (headerLength > 1_000_000) return { error: `header length ${headerLength} is implausibly large` };
  const dataOffset = 8 + lengthBytes + headerLength;
  if (prefix.length < dataOffset) return "more";
  const header = prefix.toString(major === 3 ? "utf8" : "latin1", 8 + lengthBytes, dataOffset);
  const descr = /['"]descr['"]\s*:\s*(.*?)\s*,\s*['"]fortran_order['"]/s.exec(header)?.[1];
  if (descr === undefined) return { error: "header has no 'descr' before 'fortran_order'" };
  // 'O' (object) as the dtype, or anywhere inside a structured dtype's field list.
  const hasObjects = /['"][|<>=]?O\d*['"]/.test(descr);
  return { dataOffset, descr, hasObjects };
}
