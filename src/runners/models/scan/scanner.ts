// Scans local files (a model artifact spooled to disk): detects each file's format, streams it
// once or twice (hash + format checks), descends into archives (zip, tar, gzip) within limits, and
// collects findings and a SHA-256 per file. Nothing is ever unpickled or executed.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { linkEscapes, unsafeMemberPath } from "./archive-paths.ts";
import { detectFormat, type FileFormat, SNIFF_BYTES } from "./detect.ts";
import { type Finding, finding } from "./findings.ts";
import { findLambdaLayers } from "./keras.ts";
import { parseNpyHeader } from "./numpy.ts";
import { onnxExternalData, unsafeExternalPath } from "./onnx.ts";
import { PickleScanner } from "./pickle.ts";
import { pickleFindings } from "./pickle-findings.ts";
import { checkSafetensorsHeader, safetensorsHeaderLength } from "./safetensors.ts";
import { readTar, TarFormatError, type TarSink } from "./tar.ts";

export interface ScanLimits {
  /** Archives inside archives deeper than this are not opened. */
  maxDepth: number;
  /** Total bytes all archives may expand to. */
  maxExpandedBytes: number;
  /** A member expanding more than this ratio (and past 1 MiB) is a bomb. */
  maxCompressionRatio: number;
  maxArchiveMembers: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  maxDepth: 4,
  maxExpandedBytes: 4 * 1024 ** 3,
  maxCompressionRatio: 100,
  maxArchiveMembers: 10_000,
};

const BOMB_FLOOR_BYTES = 1024 * 1024;
const MAX_KERAS_CONFIG_BYTES = 20 * 1024 * 1024;

export interface ScannedFile {
  path: string;
  bytes: number;
  sha256: string;
  format: FileFormat;
}

export interface ScanOutcome {
  findings: Finding[];
  files: ScannedFile[];
}

class BudgetExceeded extends Error {}

export class ModelScanner {
  readonly findings: Finding[] = [];
  readonly files: ScannedFile[] = [];
  readonly #limits: ScanLimits;
  readonly #tempDir: string;
  readonly #signal: AbortSignal | undefined;
  readonly #onBytes: (bytes: number) => void;
  #expanded = 0;
  #budgetReported = false;

  constructor(options: {
    limits: ScanLimits;
    tempDir: string;
    signal?: AbortSignal;
    onBytes?: (bytes: number) => void;
  }) {
    this.#limits = options.limits;
    this.#tempDir = options.tempDir;
    this.#signal = options.signal;
    this.#onBytes = options.onBytes ?? (() => {});
  }

  /** Scans one file on disk, reported under `location`. `topLevel` files count towards progress. */
  async scanFile(path: string, location: string, depth = 0, hint?: FileFormat): Promise<void> {
    this.#signal?.throwIfAborted();
    const { size } = await stat(path);
    const head = await readHead(path);
    const format = hint ?? detectFormat(location, head, size);
    const topLevel = depth === 0;
    let sha256: string;
    switch (format) {
      case "pickle":
      case "npy":
        sha256 = await this.#streamParse(path, location, format, topLevel);
        break;
      default:
        sha256 = await this.#hash(path, topLevel);
        await this.#checkFormat(path, location, format, size, depth);
    }
    this.files.push({ path: location, bytes: size, sha256, format });
  }

  async #hash(path: string, topLevel: boolean): Promise<string> {
    const hash = createHash("sha256");
    for await (const chunk of this.#read(path, topLevel)) hash.update(chunk);
    return hash.digest("hex");
  }

  async *#read(path: string, topLevel: boolean): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(path, {
      highWaterMark: 1024 * 1024,
    }) as AsyncIterable<Buffer>) {
      this.#signal?.throwIfAborted();
      if (topLevel) this.#onBytes(chunk.length);
      yield chunk;
    }
  }

  /** One pass: hash, and feed the pickle parser (for .npy: after the header, when it holds objects). */
  async #streamParse(
    path: string,
    location: string,
    format: "pickle" | "npy",
    topLevel: boolean,
  ): Promise<string> {
    const hash = createHash("sha256");
    let scanner: PickleScanner | null = format === "pickle" ? new PickleScanner() : null;
    let npyPrefix: Buffer | null = format === "npy" ? Buffer.alloc(0) : null;
    let pickleOffset = 0;
    for await (const chunk of this.#read(path, topLevel)) {
      hash.update(chunk);
      if (npyPrefix) {
        npyPrefix = Buffer.concat([npyPrefix, chunk]);
        const header = parseNpyHeader(npyPrefix);
        if (header === "more") continue;
        const prefix = npyPrefix;
        npyPrefix = null;
        if ("error" in header) {
          this.findings.push(finding("NUMPY002", location, `invalid .npy header: ${header.error}`));
          continue;
        }
        if (header.hasObjects) {
          this.findings.push(
            finding(
              "NUMPY001",
              location,
              `dtype ${header.descr} holds Python objects: np.load needs allow_pickle=True`,
            ),
          );
          scanner = new PickleScanner();
          pickleOffset = header.dataOffset;
          scanner.write(prefix.subarray(header.dataOffset));
        }
        continue;
      }
      scanner?.write(chunk);
    }
    if (npyPrefix) this.findings.push(finding("NUMPY002", location, "the file ends inside the .npy header"));
    if (scanner) this.findings.push(...pickleFindings(scanner.end(), location, pickleOffset));
    return hash.digest("hex");
  }

  async #checkFormat(
    path: string,
    location: string,
    format: FileFormat,
    size: number,
    depth: number,
  ): Promise<void> {
    const nested = depth + 1;
    if ((format === "zip" || format === "tar" || format === "gzip") && nested > this.#limits.maxDepth) {
      this.findings.push(
        finding(
          "ARCHIVE004",
          location,
          `archive nested deeper than ${this.#limits.maxDepth} levels: not opened`,
        ),
      );
      return;
    }
    if (format === "zip") await this.#zip(path, location, nested);
    else if (format === "tar") await this.#tar(path, location, nested);
    else if (format === "gzip") await this.#gzip(path, location, nested, size);
    else if (format === "safetensors") await this.#safetensors(path, location, size);
    else if (format === "onnx") await this.#onnx(path, location, size);
  }

  async #safetensors(path: string, location: string, size: number) {
    const file = await open(path);
    try {
      const prefix = Buffer.alloc(8);
      await file.read(prefix, 0, 8, 0);
      const length = safetensorsHeaderLength(prefix.subarray(0, Math.min(8, size)), size, location);
      if (typeof length !== "number") {
        this.findings.push(length);
        return;
      }
      const header = Buffer.alloc(length);
      await file.read(header, 0, length, 8);
      this.findings.push(...checkSafetensorsHeader(header, size, location).findings);
    } finally {
      await file.close();
    }
  }

  async #onnx(path: string, location: string, size: number) {
    const file = await open(path);
    try {
      for (const ref of await onnxExternalData(file, size)) {
        const why = unsafeExternalPath(ref.location);
        if (why)
          this.findings.push(
            finding(
              "ONNX001",
              location,
              `tensor ${JSON.stringify(ref.tensor)} reads external data from ${JSON.stringify(ref.location)}: ${why}`,
            ),
          );
      }
    } catch (error) {
      this.findings.push(
        finding("ARCHIVE004", location, `ONNX protobuf could not be walked: ${(error as Error).message}`, {
          severity: "low",
        }),
      );
    } finally {
      await file.close();
    }
  }

  /** Accounts expanded bytes against the budget; false (and one finding) once it is exhausted. */
  #spend(bytes: number, location: string): boolean {
    if (this.#expanded + bytes > this.#limits.maxExpandedBytes) {
      if (!this.#budgetReported) {
        this.findings.push(
          finding(
            "ARCHIVE003",
            location,
            `archives expand past the ${this.#limits.maxExpandedBytes}-byte limit; the rest is not scanned`,
          ),
        );
        this.#budgetReported = true;
      }
      return false;
    }
    this.#expanded += bytes;
    return true;
  }

  #tempPath(): string {
    return join(this.#tempDir, `member-${randomBytes(8).toString("hex")}`);
  }

  /** Writes a member to a temporary file with a hard byte cap, scans it, removes it; returns its size. */
  async #scanMember(
    stream: Readable | AsyncIterable<Buffer>,
    location: string,
    depth: number,
    cap: number,
    hint?: FileFormat,
  ): Promise<number> {
    const temp = this.#tempPath();
    try {
      let written = 0;
      const capped = async function* () {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          written += chunk.length;
          if (written > cap) throw new BudgetExceeded(`${location} expands past ${cap} bytes`);
          yield chunk;
        }
      };
      await pipeline(capped, createWriteStream(temp));
      await this.scanFile(temp, location, depth, hint);
      return written;
    } finally {
      await rm(temp, { force: true });
    }
  }

  async #zip(path: string, location: string, depth: number) {
    const yauzl = await import("yauzl");
    let zip: import("yauzl").ZipFile;
    try {
      zip = await yauzl.openPromise(path, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: false,
        validateEntrySizes: true,
        strictFileNames: false,
      });
    } catch (error) {
      this.findings.push(
        finding("ARCHIVE004", location, `zip could not be opened: ${(error as Error).message}`),
      );
      return;
    }
    try {
      const entries: import("yauzl").Entry[] = [];
      for await (const entry of zip.eachEntry()) {
        if (entries.length >= this.#limits.maxArchiveMembers) {
          this.findings.push(
            finding(
              "ARCHIVE004",
              location,
              `more than ${this.#limits.maxArchiveMembers} members; the rest is not scanned`,
            ),
          );
          break;
        }
        entries.push(entry);
      }
      const names = entries.map((e) => Buffer.from(e.fileName as unknown as Buffer).toString("utf8"));
      const torch = names.some((n) => /(^|\/)data\.pkl$/.test(n));
      const declaredTotal = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
      const archiveSize = (await stat(path)).size;
      if (
        declaredTotal > BOMB_FLOOR_BYTES &&
        declaredTotal / Math.max(archiveSize, 1) > this.#limits.maxCompressionRatio
      ) {
        this.findings.push(
          finding(
            "ARCHIVE003",
            location,
            `declares ${declaredTotal} bytes from a ${archiveSize}-byte zip (ratio ${(declaredTotal / archiveSize).toFixed(0)} > ${this.#limits.maxCompressionRatio})`,
          ),
        );
      }
      for (const [i, entry] of entries.entries()) {
        const name = names[i] as string;
        const member = `${location}!${name}`;
        const traversal = unsafeMemberPath(name);
        if (traversal)
          this.findings.push(
            finding(
              "ARCHIVE001",
              member,
              `member path ${JSON.stringify(name)} escapes the extraction directory: ${traversal}`,
            ),
          );
        if (name.endsWith("/")) continue;
        const unixMode = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
        const isLink = (unixMode & 0o170000) === 0o120000;
        if (entry.isEncrypted()) {
          this.findings.push(
            finding("ARCHIVE004", member, "encrypted member: its content cannot be scanned"),
          );
          continue;
        }
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (entry.uncompressedSize > BOMB_FLOOR_BYTES && ratio > this.#limits.maxCompressionRatio) {
          this.findings.push(
            finding(
              "ARCHIVE003",
              member,
              `expands ${entry.compressedSize} → ${entry.uncompressedSize} bytes (ratio ${ratio.toFixed(0)} > ${this.#limits.maxCompressionRatio}): not extracted`,
            ),
          );
          continue;
        }
        if (!this.#spend(entry.uncompressedSize, member)) break;
        const stream = await zip.openReadStreamPromise(entry);
        if (isLink) {
          const target = Buffer.concat(await stream.toArray()).toString("utf8");
          const escapes = linkEscapes(name, target);
          this.findings.push(
            finding(
              "ARCHIVE002",
              member,
              `symbolic link to ${JSON.stringify(target)}${escapes ? ", outside the archive" : ""}`,
              escapes ? { severity: "high" } : undefined,
            ),
          );
          continue;
        }
        const hint = torch && /(^|\/)data\/[^/]+$/.test(name) ? "tensor-data" : undefined;
        try {
          if (name === "config.json" || name.endsWith("/config.json"))
            await this.#kerasConfig(stream, member, entry.uncompressedSize, depth);
          else await this.#scanMember(stream, member, depth, entry.uncompressedSize, hint);
        } catch (error) {
          this.findings.push(
            finding("ARCHIVE004", member, `member could not be read: ${(error as Error).message}`),
          );
        }
      }
    } finally {
      zip.close();
    }
  }

  /** config.json of a Keras archive: Lambda layers; the file itself is hashed like any member. */
  async #kerasConfig(stream: Readable, member: string, size: number, depth: number) {
    if (size > MAX_KERAS_CONFIG_BYTES) {
      await this.#scanMember(stream, member, depth, size);
      return;
    }
    const body = Buffer.concat(await stream.toArray());
    const temp = this.#tempPath();
    try {
      await pipeline([body], createWriteStream(temp));
      await this.scanFile(temp, member, depth, "unknown");
    } finally {
      await rm(temp, { force: true });
    }
    try {
      for (const layer of findLambdaLayers(JSON.parse(body.toString("utf8")))) {
        this.findings.push(
          finding("KERAS001", member, `Lambda layer ${JSON.stringify(layer)} holds serialized Python code`),
        );
      }
    } catch {
      // Not JSON: not a Keras config.
    }
  }

  async #tar(path: string, location: string, depth: number) {
    let members = 0;
    try {
      await readTar(createReadStream(path) as AsyncIterable<Buffer>, async (m): Promise<TarSink | null> => {
        const member = `${location}!${m.path}`;
        if (++members > this.#limits.maxArchiveMembers) {
          if (members === this.#limits.maxArchiveMembers + 1)
            this.findings.push(
              finding(
                "ARCHIVE004",
                location,
                `more than ${this.#limits.maxArchiveMembers} members; the rest is not scanned`,
              ),
            );
          return null;
        }
        const traversal = unsafeMemberPath(m.path);
        if (traversal)
          this.findings.push(
            finding(
              "ARCHIVE001",
              member,
              `member path ${JSON.stringify(m.path)} escapes the extraction directory: ${traversal}`,
            ),
          );
        if (m.type === "symlink" || m.type === "hardlink") {
          const escapes =
            m.type === "symlink"
              ? linkEscapes(m.path, m.linkTarget)
              : unsafeMemberPath(m.linkTarget) !== null;
          this.findings.push(
            finding(
              "ARCHIVE002",
              member,
              `${m.type} to ${JSON.stringify(m.linkTarget)}${escapes ? ", outside the archive" : ""}`,
              { offset: m.offset, ...(escapes ? { severity: "high" as const } : {}) },
            ),
          );
          return null;
        }
        if (m.type !== "file" || !this.#spend(m.size, member)) return null;
        return this.#memberSink(member, depth);
      });
    } catch (error) {
      if (!(error instanceof TarFormatError)) throw error;
      this.findings.push(finding("ARCHIVE004", location, `tar is malformed: ${error.message}`));
    }
  }

  /** A sink that spools a streamed member to a temporary file and scans it at the end. */
  #memberSink(member: string, depth: number): TarSink {
    const temp = this.#tempPath();
    const out = createWriteStream(temp);
    return {
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          out.write(chunk, (error) => (error ? reject(error) : resolve()));
        }),
      end: async () => {
        await new Promise<void>((resolve) => out.end(resolve));
        try {
          await this.scanFile(temp, member, depth);
        } finally {
          await rm(temp, { force: true });
        }
      },
    };
  }

  async #gzip(path: string, location: string, depth: number, size: number) {
    const inner = `${location}!${basename(location).replace(/\.t?gz$/i, (m) => (m.toLowerCase() === ".tgz" ? ".tar" : ""))}`;
    const remaining = this.#limits.maxExpandedBytes - this.#expanded;
    const cap = Math.min(remaining, Math.max(BOMB_FLOOR_BYTES, size * this.#limits.maxCompressionRatio));
    try {
      this.#expanded += await this.#scanMember(
        createReadStream(path).pipe(createGunzip()),
        inner,
        depth,
        cap,
      );
    } catch (error) {
      if (error instanceof BudgetExceeded) {
        this.findings.push(
          finding(
            "ARCHIVE003",
            location,
            `gzip stream expands past ${cap} bytes (ratio limit ${this.#limits.maxCompressionRatio}, budget ${remaining}): not scanned further`,
          ),
        );
        return;
      }
      this.findings.push(
        finding("ARCHIVE004", location, `gzip stream is malformed: ${(error as Error).message}`),
      );
    }
  }
}

async function readHead(path: string): Promise<Buffer> {
  const file = await open(path);
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}
