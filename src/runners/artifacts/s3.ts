// The S3-compatible artifact store. The AWS SDK is imported lazily (task modules must stay cheap
// to import). Streams are uploaded in parts of PART_BYTES, so memory stays bounded for any size.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { validateArtifactKey, validateArtifactPrefix } from "./keys.ts";
import { ArtifactNotFoundError, type ArtifactStore, type StoredObject } from "./store.ts";

export interface S3StoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle?: boolean;
}

/** S3's minimum part size (except the last part). */
const PART_BYTES = 8 * 1024 * 1024;

export class S3ArtifactStore implements ArtifactStore {
  readonly options: S3StoreOptions;
  #client: Promise<{ client: S3Client; sdk: typeof import("@aws-sdk/client-s3") }> | undefined;

  constructor(options: S3StoreOptions) {
    this.options = options;
  }

  #sdk() {
    this.#client ??= import("@aws-sdk/client-s3").then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.options.region,
        endpoint: this.options.endpoint,
        forcePathStyle: this.options.forcePathStyle,
      }),
    }));
    return this.#client;
  }

  async put(key: string, body: Buffer | Readable, options?: { contentType?: string }): Promise<StoredObject> {
    validateArtifactKey(key);
    const { client, sdk } = await this.#sdk();
    const hash = createHash("sha256");
    const common = { Bucket: this.options.bucket, Key: key, ContentType: options?.contentType };
    const parts = partsOf(body);
    const first = await parts.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    const second = first.done ? first : await parts.next();
    if (second.done) {
      hash.update(firstPart);
      await client.send(new sdk.PutObjectCommand({ ...common, Body: firstPart }));
      return { key, bytes: firstPart.length, sha256: hash.digest("hex"), contentType: options?.contentType };
    }
    const { UploadId } = await client.send(new sdk.CreateMultipartUploadCommand(common));
    try {
      const completed: { ETag: string | undefined; PartNumber: number }[] = [];
      let bytes = 0;
      const uploadPart = async (part: Buffer) => {
        hash.update(part);
        bytes += part.length;
        const PartNumber = completed.length + 1;
        const { ETag } = await client.send(
          new sdk.UploadPartCommand({
            Bucket: this.options.bucket,
            Key: key,
            UploadId,
            PartNumber,
            Body: part,
          }),
        );
        completed.push({ ETag, PartNumber });
      };
      await uploadPart(firstPart);
      await uploadPart(second.value);
      for await (const part of { [Symbol.asyncIterator]: () => parts }) await uploadPart(part);
      await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: this.options.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
      return { key, bytes, sha256: hash.digest("hex"), contentType: options?.contentType };
    } catch (error) {
      await client
        .send(new sdk.AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    validateArtifactKey(key);
    const { client, sdk } = await this.#sdk();
    try {
      const response = await client.send(new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactNotFoundError(key);
      throw error;
    }
  }

  async head(key: string): Promise<{ bytes: number } | null> {
    validateArtifactKey(key);
    const { client, sdk } = await this.#sdk();
    try {
      const response = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      return { bytes: response.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    validateArtifactKey(key);
    const { client, sdk } = await this.#sdk();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  async list(prefix: string): Promise<string[]> {
    validateArtifactPrefix(prefix);
    const { client, sdk } = await this.#sdk();
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys.sort();
  }

  async link(key: string, expiresInSeconds: number): Promise<string> {
    validateArtifactKey(key);
    const { client, sdk } = await this.#sdk();
    const { getSignedUrl } = await import("@aws-sdk/s3-request-presigner");
    return getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

/** Re-chunks a body into parts of exactly PART_BYTES (the last one shorter). */
async function* partsOf(body: Buffer | Readable): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(body)) {
    for (let offset = 0; offset < body.length; offset += PART_BYTES)
      yield body.subarray(offset, offset + PART_BYTES);
    return;
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= PART_BYTES) {
      const joined = Buffer.concat(pending);
      yield joined.subarray(0, PART_BYTES);
      pending = [joined.subarray(PART_BYTES)];
      pendingBytes = joined.length - PART_BYTES;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}
