// The one interface every task uses to read and write files: a local directory (the embedded
// default, a volume in the cluster) or S3-compatible storage. Results hold keys or links, never
// file contents.
import type { Readable } from "node:stream";

export interface StoredObject {
  key: string;
  bytes: number;
  sha256: string;
  contentType?: string;
}

export interface ArtifactStore {
  /** Writes (replacing) an object from bytes or a stream; returns its size and SHA-256. */
  put(key: string, body: Buffer | Readable, options?: { contentType?: string }): Promise<StoredObject>;
  get(key: string): Promise<Readable>;
  /** Returns null when the object does not exist. */
  head(key: string): Promise<{ bytes: number } | null>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /** A link that expires: an S3 presigned URL, or a file:// URL for the local store. */
  link(key: string, expiresInSeconds: number): Promise<string>;
}

/** get() of a key that does not exist. Tasks usually turn it into a PermanentError. */
export class ArtifactNotFoundError extends Error {
  override readonly name = "ArtifactNotFoundError";
  readonly key: string;
  constructor(key: string) {
    super(`artifact ${JSON.stringify(key)} does not exist`);
    this.key = key;
  }
}
