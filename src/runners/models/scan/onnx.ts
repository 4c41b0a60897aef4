// ONNX external-data paths: a minimal protobuf walker over the file (positional reads, large
// fields skipped, never loaded) that visits every TensorProto reachable from the graph
// (initializers, sparse initializers, node attributes, subgraphs) and returns the `location`
// entries of their external_data. The path check itself is pure (unsafeExternalPath).
import type { FileHandle } from "node:fs/promises";

const BLOCK = 64 * 1024;
const MAX_DEPTH = 32;

class FileCursor {
  readonly #file: FileHandle;
  #blockStart = -1;
  #block = Buffer.alloc(0);
  constructor(file: FileHandle) {
    this.#file = file;
  }
  async byteAt(position: number): Promise<number> {
    if (position < this.#blockStart || position >= this.#blockStart + this.#block.length) {
      const buffer = Buffer.alloc(BLOCK);
      const { bytesRead } = await this.#file.read(buffer, 0, BLOCK, position);
      if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position}`);
      this.#block = buffer.subarray(0, bytesRead);
      this.#blockStart = position;
    }
    return this.#block[position - this.#blockStart] as number;
  }
  async bytes(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.#file.read(buffer, 0, length, position);
    if (bytesRead < length) throw new Error(`unexpected end of file at byte ${position + bytesRead}`);
    return buffer;
  }
}

interface Field {
  number: number;
  wireType: number;
  /** For length-delimited fields: where the payload starts and ends. */
  start: number;
  end: number;
}

async function* fields(cursor: FileCursor, start: number, end: number): AsyncGenerator<Field> {
  let position = start;
  const varint = async () => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (position >= end) throw new Error(`varint runs past its message at byte ${position}`);
      const byte = await cursor.byteAt(position++);
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error(`varint too long at byte ${position}`);
  };
  while (position < end) {
    const key = await varint();
    const wireType = key % 8;
    const number = Math.floor(key / 8);
    if (wireType === 0) {
      await varint();
      yield { number, wireType, start: position, end: position };
    } else if (wireType === 1 || wireType === 5) {
      position += wireType === 1 ? 8 : 4;
      yield { number, wireType, start: position, end: position };
    } else if (wireType === 2) {
      const length = await varint();
      const fieldEnd = position + length;
      if (fieldEnd > end) throw new Error(`field ${number} at byte ${position} runs past its message`);
      yield { number, wireType, start: position, end: fieldEnd };
      position = fieldEnd;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType} at byte ${position}`);
    }
  }
}

type MessageKind = "model" | "graph" | "node" | "attribute" | "tensor" | "sparse" | "entry";

/** Which length-delimited fields of each message lead to tensors. */
const CHILDREN: Record<Exclude<MessageKind, "tensor" | "entry">, Record<number, MessageKind>> = {
  model: { 7: "graph" },
  graph: { 1: "node", 5: "tensor", 15: "sparse" },
  node: { 5: "attribute" },
  attribute: { 5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse" },
  sparse: { 1: "tensor", 2: "tensor" },
};

export interface ExternalDataRef {
  tensor: string;
  location: string;
}

export async function onnxExternalData(file: FileHandle, size: number): Promise<ExternalDataRef[]> {
  const cursor = new FileCursor(file);
  const refs: ExternalDataRef[] = [];
  const visit = async (kind: MessageKind, start: number, end: number, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new Error(`messages nested deeper than ${MAX_DEPTH}`);
    if (kind === "tensor") {
      let name = "";
      const locations: string[] = [];
      for await (const f of fields(cursor, start, end)) {
        if (f.wireType !== 2) continue;
        if (f.number === 8)
          name = (await cursor.bytes(f.start, Math.min(f.end - f.start, 4096))).toString("utf8");
        if (f.number === 13) {
          let key = "";
          let value = "";
          for await (const e of fields(cursor, f.start, f.end)) {
            if (e.wireType !== 2 || e.end - e.start > 4096) continue;
            const text = (await cursor.bytes(e.start, e.end - e.start)).toString("utf8");
            if (e.number === 1) key = text;
            if (e.number === 2) value = text;
          }
          if (key === "location") locations.push(value);
        }
      }
      for (const location of locations) refs.push({ tensor: name, location });
      return;
    }
    if (kind === "entry") return;
    const children = CHILDREN[kind];
    for await (const f of fields(cursor, start, end)) {
      const child = f.wireType === 2 ? children[f.number] : undefined;
      if (child) await visit(child, f.start, f.end, depth + 1);
    }
  };
  await visit("model", 0, size, 0);
  return refs;
}

/** Why an external-data location is unsafe, or null: absolute, a drive or UNC path, a URL, or `..`. */
export function unsafeExternalPath(location: string): string | null {
  if (location.startsWith("/") || location.startsWith("\\")) return "it is an absolute path";
  if (/^[a-zA-Z]:/.test(location)) return "it names a drive";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return "it is a URL";
  if (location.split(/[\\/]/).includes("..")) return "it climbs out of the model directory with '..'";
  return null;
}
