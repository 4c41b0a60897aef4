// The local-directory artifact store: keys are relative paths under one root; writes are atomic
// (a temporary file in the same directory, then rename), so readers never see half a file.
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { HashingCounter } from "./hashing.ts";
import { validateArtifactKey, validateArtifactPrefix } from "./keys.ts";
import { ArtifactNotFoundError, type ArtifactStore, type StoredObject } from "./store.ts";

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  /** The file behind a key (for tasks that need random access, like zip readers). */
  pathOf(key: string): string {
    return join(this.root, ...validateArtifactKey(key).split("/"));
  }

  async put(key: string, body: Buffer | Readable, options?: { contentType?: string }): Promise<StoredObject> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
    const counter = new HashingCounter();
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, counter, createWriteStream(temp));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { key, bytes: counter.bytes, sha256: counter.digestHex(), contentType: options?.contentType };
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) throw new ArtifactNotFoundError(key);
    return createReadStream(path);
  }

  async head(key: string): Promise<{ bytes: number } | null> {
    const info = await stat(this.pathOf(key)).catch(() => null);
    return info?.isFile() ? { bytes: info.size } : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    validateArtifactPrefix(prefix);
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch((error) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    });
    return entries
      .filter((entry) => entry.isFile() && !entry.name.includes(".tmp-"))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join("/"))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async link(key: string, _expiresInSeconds: number): Promise<string> {
    return pathToFileURL(this.pathOf(key)).href;
  }
}
