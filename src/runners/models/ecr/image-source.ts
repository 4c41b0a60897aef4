// Where an image is copied from: another registry (by reference), or an OCI image layout in
// artifact storage, as a directory (key prefix) or a tarball (extracted to a temporary directory,
// only index.json, oci-layout and blobs/sha256/* are taken). Manifests are read whole (small) and
// verified against their digests; blobs are streamed.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import type { ArtifactStore } from "../../artifacts/store.ts";
import { ArtifactNotFoundError } from "../../artifacts/store.ts";
import { PermanentError } from "../../sdk/task.ts";
import { readTar } from "../scan/tar.ts";
import { type Descriptor, isDigest, sha256Digest } from "./oci.ts";
import type { RegistryClient } from "./registry-client.ts";

export interface ImageSource {
  /** Where the image comes from, for messages. */
  readonly description: string;
  root(): Promise<{ bytes: Buffer; mediaType: string }>;
  manifest(descriptor: Descriptor): Promise<Buffer>;
  openBlob(descriptor: Descriptor): Promise<AsyncIterable<Buffer>>;
}

export class RegistryImageSource implements ImageSource {
  readonly description: string;
  readonly #client: RegistryClient;
  readonly #reference: string;
  constructor(client: RegistryClient, reference: string) {
    this.#client = client;
    this.#reference = reference;
    this.description = `${client.options.endpoint}/${client.options.repository}:${reference}`;
  }
  root() {
    return this.#client.getManifest(this.#reference);
  }
  async manifest(descriptor: Descriptor) {
    return (await this.#client.getManifest(descriptor.digest)).bytes;
  }
  async openBlob(descriptor: Descriptor) {
    return (await this.#client.getBlob(descriptor.digest)) as AsyncIterable<Buffer>;
  }
}

/** Files of an OCI layout, by path relative to its root. */
type LayoutReader = (path: string) => Promise<Readable>;

const REF_NAME = "org.opencontainers.image.ref.name";

export class LayoutImageSource implements ImageSource {
  readonly description: string;
  readonly #read: LayoutReader;
  readonly #reference: string | undefined;
  constructor(read: LayoutReader, description: string, reference?: string) {
    this.#read = read;
    this.description = description;
    this.#reference = reference;
  }

  async #blobBytes(descriptor: Descriptor): Promise<Buffer> {
    const bytes = await buffer(await this.openBlob(descriptor));
    if (sha256Digest(bytes) !== descriptor.digest) {
      throw new PermanentError(
        `${this.description}: blob ${descriptor.digest} hashes to ${sha256Digest(bytes)}`,
        { type: "DigestMismatch" },
      );
    }
    return bytes;
  }

  async root() {
    let index: { manifests?: Descriptor[] };
    try {
      index = JSON.parse((await buffer(await this.#read("index.json"))).toString("utf8"));
    } catch (error) {
      throw new PermanentError(
        `${this.description}: index.json is missing or not JSON (${(error as Error).message})`,
        { type: "InvalidImageLayout" },
      );
    }
    const manifests = index.manifests ?? [];
    const names = manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
    const chosen = this.#reference
      ? manifests.find((m) => m.annotations?.[REF_NAME] === this.#reference || m.digest === this.#reference)
      : manifests.length === 1
        ? manifests[0]
        : undefined;
    if (!chosen) {
      throw new PermanentError(
        this.#reference
          ? `source.ociLayout.reference ${JSON.stringify(this.#reference)} is not in ${this.description} (it has ${names.join(", ") || "no named images"})`
          : `source.ociLayout.reference is required: ${this.description} holds ${manifests.length} images (${names.join(", ")})`,
        { type: "InvalidImageLayout" },
      );
    }
    return { bytes: await this.#blobBytes(chosen), mediaType: chosen.mediaType };
  }

  manifest(descriptor: Descriptor) {
    return this.#blobBytes(descriptor);
  }

  async openBlob(descriptor: Descriptor) {
    if (!isDigest(descriptor.digest))
      throw new PermanentError(
        `${this.description}: ${JSON.stringify(descriptor.digest)} is not a sha256 digest`,
        { type: "InvalidImageLayout" },
      );
    return (await this.#read(`blobs/sha256/${descriptor.digest.slice(7)}`)) as AsyncIterable<Buffer>;
  }
}

/** A layout stored as a directory under an artifact key prefix. */
export function layoutFromArtifacts(
  store: ArtifactStore,
  prefix: string,
  reference?: string,
): LayoutImageSource {
  const root = prefix.replace(/\/$/, "");
  return new LayoutImageSource(
    async (path) => {
      try {
        return await store.get(`${root}/${path}`);
      } catch (error) {
        if (error instanceof ArtifactNotFoundError)
          throw new PermanentError(`source.ociLayout: ${error.message}`, { type: "InvalidImageLayout" });
        throw error;
      }
    },
    `OCI layout ${root}/`,
    reference,
  );
}

const LAYOUT_MEMBER = /^(?:\.\/)?(index\.json|oci-layout|blobs\/sha256\/[a-f0-9]{64})$/;

/** A layout stored as a tarball under one key: extracted into `dir` (layout files only). */
export async function layoutFromTarball(
  store: ArtifactStore,
  key: string,
  dir: string,
  reference?: string,
): Promise<LayoutImageSource> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  let stream: Readable;
  try {
    stream = await store.get(key);
  } catch (error) {
    if (error instanceof ArtifactNotFoundError)
      throw new PermanentError(`source.ociLayout.artifactKey: ${error.message}`, { type: "SourceNotFound" });
    throw error;
  }
  await readTar(stream as AsyncIterable<Buffer>, (member) => {
    const match = LAYOUT_MEMBER.exec(member.path);
    if (member.type !== "file" || !match) return null;
    const out = createWriteStream(join(dir, ...(match[1] as string).split("/")));
    return {
      write: (chunk) =>
        new Promise<void>((resolve, reject) => out.write(chunk, (e) => (e ? reject(e) : resolve()))),
      end: () => new Promise<void>((resolve) => out.end(resolve)),
    };
  });
  return new LayoutImageSource(
    async (path) => {
      const stream = createReadStream(join(dir, ...path.split("/")));
      await new Promise<void>((resolve, reject) => {
        stream.once("open", () => resolve());
        stream.once("error", (error) =>
          reject(
            new PermanentError(`OCI layout tarball ${key} has no ${path}`, {
              type: "InvalidImageLayout",
              cause: error,
            }),
          ),
        );
      });
      return stream;
    },
    `OCI layout tarball ${key}`,
    reference,
  );
}
