// Where model tasks read their inputs: an artifact key, a key prefix (a directory), an http(s) URL,
// or inline base64. Everything is spooled to a local temporary file with a byte limit, so scanners
// get random access and memory stays bounded. Failures map to PermanentError/RetryableError.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { InvalidArtifactKeyError, validateArtifactKey } from "../artifacts/keys.ts";
import { ArtifactNotFoundError, type ArtifactStore } from "../artifacts/store.ts";
import { PermanentError, RetryableError } from "../sdk/task.ts";

/** Where a task writes its outputs in artifact storage: a key prefix under the same rules as keys. */
export const artifactKeyPrefix = z
  .string()
  .min(1)
  .refine((p) => {
    try {
      validateArtifactKey(p);
      return true;
    } catch {
      return false;
    }
  }, "must be a valid artifact key prefix (no '..', no leading '/')");

export const artifactKeySource = z.object({
  artifactKey: z.string().min(1).describe("A key in artifact storage."),
});
export const artifactPrefixSource = z.object({
  artifactPrefix: z
    .string()
    .min(1)
    .describe("A key prefix in artifact storage: every object under it (a directory)."),
});
export const urlSource = z.object({
  url: z.url({ protocol: /^https?$/ }).describe("An http(s) URL fetched with GET."),
});

export type ModelSource =
  | z.infer<typeof artifactKeySource>
  | z.infer<typeof artifactPrefixSource>
  | z.infer<typeof urlSource>;

export interface SpooledFile {
  /** The local temporary file. */
  path: string;
  /** The name reported in results: the key (or its part under the prefix), or the URL's path. */
  name: string;
  bytes: number;
}

export class SourceTooLargeError extends PermanentError {
  constructor(what: string, limit: number) {
    super(`${what} is larger than the ${limit}-byte limit`, { type: "SourceTooLarge" });
  }
}

async function spoolStream(
  body: Readable | AsyncIterable<Uint8Array>,
  path: string,
  limit: number,
  what: string,
  signal?: AbortSignal,
): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  let bytes = 0;
  const counted = async function* () {
    for await (const chunk of body) {
      bytes += chunk.length;
      if (bytes > limit) throw new SourceTooLargeError(what, limit);
      yield chunk;
    }
  };
  await pipeline(counted, createWriteStream(path), { signal });
  return bytes;
}

/** Spools the source into `dir`; `limit` bounds the total bytes. */
export async function spoolSource(
  source: ModelSource,
  options: { store: () => ArtifactStore; dir: string; limit: number; signal?: AbortSignal; field?: string },
): Promise<SpooledFile[]> {
  const field = options.field ?? "source";
  if ("url" in source) {
    const url = new URL(source.url);
    // Shown without its query (a pre-signed URL's signature) or user:password.
    const shown = `${url.origin}${url.pathname}`;
    if (url.username || url.password) {
      throw new PermanentError(
        `${field}.url ${shown}: credentials in the URL (user:password@) are not sent; use a pre-signed URL or an artifact key`,
        { type: "InvalidSource" },
      );
    }
    let response: Response;
    try {
      response = await fetch(url, { signal: options.signal, redirect: "follow" });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // fetch's own message may quote the whole URL, query and all.
      const reason = (error as Error).message.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (quoted) => {
        const parsed = URL.parse(quoted);
        return parsed ? `${parsed.origin}${parsed.pathname}` : "(the URL)";
      });
      const cause = (error as Error).cause;
      const detail = cause instanceof Error ? `: ${cause.message}` : "";
      throw new RetryableError(`${field}.url ${shown}: ${reason}${detail}`);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const message = `${field}.url ${shown} answered HTTP ${response.status}`;
      if (response.status === 429 || response.status >= 500) throw new RetryableError(message);
      throw new PermanentError(message, { type: "SourceNotFound" });
    }
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > options.limit) {
      await response.body.cancel();
      throw new SourceTooLargeError(`${field}.url (Content-Length ${declared})`, options.limit);
    }
    const name = decodeURIComponent(url.pathname.split("/").filter(Boolean).at(-1) ?? "download");
    const path = join(options.dir, "url", "download");
    const bytes = await spoolStream(
      Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
      path,
      options.limit,
      `${field}.url`,
      options.signal,
    );
    return [{ path, name, bytes }];
  }
  const store = options.store();
  const keys =
    "artifactKey" in source
      ? [source.artifactKey]
      : await store.list(
          source.artifactPrefix.endsWith("/") ? source.artifactPrefix : `${source.artifactPrefix}/`,
        );
  if (keys.length === 0 && "artifactPrefix" in source) {
    throw new PermanentError(
      `${field}.artifactPrefix ${JSON.stringify(source.artifactPrefix)} holds no objects`,
      { type: "SourceNotFound" },
    );
  }
  const files: SpooledFile[] = [];
  let total = 0;
  for (const [i, key] of keys.entries()) {
    const name =
      "artifactPrefix" in source ? key.slice(source.artifactPrefix.replace(/\/?$/, "/").length) : key;
    const path = join(options.dir, "artifacts", String(i));
    try {
      const bytes = await spoolStream(
        await store.get(key),
        path,
        options.limit - total,
        `${field} (${key})`,
        options.signal,
      );
      total += bytes;
      files.push({ path, name, bytes });
    } catch (error) {
      if (error instanceof ArtifactNotFoundError || error instanceof InvalidArtifactKeyError) {
        throw new PermanentError(
          `${field}.${"artifactKey" in source ? "artifactKey" : "artifactPrefix"}: ${error.message}`,
          { type: "SourceNotFound" },
        );
      }
      throw error;
    }
  }
  return files;
}
