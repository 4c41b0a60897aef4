// Which scanner a file goes to, from its first bytes and its name (pure).
import { isPickleOpcode } from "./pickle.ts";

export type FileFormat =
  | "zip"
  | "gzip"
  | "tar"
  | "npy"
  | "safetensors"
  | "onnx"
  | "pickle"
  | "tensor-data"
  | "unknown";

/** How many leading bytes detectFormat wants. */
export const SNIFF_BYTES = 512;

const PICKLE_EXTENSIONS = /\.(pkl|pickle|pt|pth|bin|ckpt|joblib|dat|data)$/i;

export function detectFormat(name: string, head: Buffer, size: number): FileFormat {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5))
    return "zip";
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 262 && head.toString("latin1", 257, 262) === "ustar") return "tar";
  if (/\.tar$/i.test(name)) return "tar";
  if (head.length >= 6 && head.toString("latin1", 1, 6) === "NUMPY" && head[0] === 0x93) return "npy";
  if (/\.safetensors$/i.test(name)) return "safetensors";
  if (head.length >= 9 && head[8] === 0x7b && head.readBigUInt64LE(0) < BigInt(size)) return "safetensors";
  if (/\.onnx$/i.test(name)) return "onnx";
  if (head[0] === 0x80 && (head[1] ?? 255) <= 5) return "pickle";
  // Protocol 0/1 pickles have no magic: trust the extension only when the first byte is an opcode.
  if (PICKLE_EXTENSIONS.test(name) && head.length > 0 && isPickleOpcode(head[0] as number)) return "pickle";
  return "unknown";
}
