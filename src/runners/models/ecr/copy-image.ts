// Copies one image (or a multi-arch index and every image it lists) from a source to a target
// repository: blobs the target already has are skipped (HEAD), the rest uploaded with retries
// inside the attempt, child manifests pushed by digest, the top manifest by tag.

import { type RetryOptions, withRetries } from "./http-retry.ts";
import type { ImageSource } from "./image-source.ts";
import { type Descriptor, parseManifest, sha256Digest } from "./oci.ts";
import type { RegistryClient } from "./registry-client.ts";

export interface CopyResult {
  digest: string;
  mediaType: string;
  manifestsPushed: number;
  blobsPushed: number;
  blobsSkipped: number;
  bytesSent: number;
}

export async function copyImage(
  source: ImageSource,
  target: RegistryClient,
  tag: string,
  options: { chunkBytes: number; retry: RetryOptions; onBlob?: (done: number, total: number) => void },
): Promise<CopyResult> {
  const result: CopyResult = {
    digest: "",
    mediaType: "",
    manifestsPushed: 0,
    blobsPushed: 0,
    blobsSkipped: 0,
    bytesSent: 0,
  };
  const root = await withRetries(`read ${source.description}`, () => source.root(), options.retry);
  const parsed = parseManifest(root.bytes, root.mediaType);
  result.digest = sha256Digest(root.bytes);
  result.mediaType = parsed.mediaType;

  const images: { descriptor?: Descriptor; bytes: Buffer; blobs: Descriptor[]; mediaType: string }[] = [];
  if (parsed.manifests) {
    for (const child of parsed.manifests) {
      const bytes = await withRetries(
        `read manifest ${child.digest}`,
        () => source.manifest(child),
        options.retry,
      );
      const childParsed = parseManifest(bytes, child.mediaType);
      if (childParsed.manifests) throw new Error(`nested index ${child.digest} is not supported`);
      images.push({ descriptor: child, bytes, blobs: childParsed.blobs ?? [], mediaType: child.mediaType });
    }
  } else {
    images.push({ bytes: root.bytes, blobs: parsed.blobs ?? [], mediaType: parsed.mediaType });
  }

  const unique = new Map<string, Descriptor>();
  for (const image of images) for (const blob of image.blobs) unique.set(blob.digest, blob);
  let done = 0;
  for (const blob of unique.values()) {
    await withRetries(
      `push blob ${blob.digest}`,
      async () => {
        if (await target.blobExists(blob.digest)) {
          result.blobsSkipped++;
          return;
        }
        const sent = await target.uploadBlob(blob.digest, await source.openBlob(blob), options.chunkBytes);
        result.blobsPushed++;
        result.bytesSent += sent;
      },
      options.retry,
    );
    options.onBlob?.(++done, unique.size);
  }

  const pushManifest = async (reference: string, bytes: Buffer, mediaType: string) => {
    const digest = sha256Digest(bytes);
    if (
      (await withRetries(
        `check manifest ${reference}`,
        () => target.manifestDigest(reference),
        options.retry,
      )) === digest
    )
      return;
    await withRetries(
      `push manifest ${reference}`,
      () => target.putManifest(reference, bytes, mediaType),
      options.retry,
    );
    result.manifestsPushed++;
    result.bytesSent += bytes.length;
  };
  for (const image of images)
    if (image.descriptor) await pushManifest(image.descriptor.digest, image.bytes, image.mediaType);
  await pushManifest(tag, root.bytes, parsed.mediaType);
  return result;
}
