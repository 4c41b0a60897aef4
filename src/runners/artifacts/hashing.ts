// A pass-through that counts bytes and computes SHA-256 of whatever flows through it.
import { createHash } from "node:crypto";
import { Transform } from "node:stream";

export class HashingCounter extends Transform {
  readonly #hash = createHash("sha256");
  bytes = 0;
  override _transform(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null, data?: Buffer) => void,
  ) {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  digestHex(): string {
    return this.#hash.digest("hex");
  }
}
