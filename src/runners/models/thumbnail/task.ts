// models.generate_model_thumbnail: reads an image (artifact storage, URL or inline base64),
// orients it by EXIF, strips metadata, and stores square thumbnails at the configured sizes in
// WebP and PNG. Decompression bombs (limitInputPixels) and non-images fail permanently.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { defineTask, PermanentError } from "../../sdk/task.ts";
import { artifactKeyPrefix, artifactKeySource, spoolSource, urlSource } from "../sources.ts";

/** Inline images travel inside the TaskRun (etcd): keep them small. */
export const MAX_INLINE_BYTES = 1024 * 1024;

const inlineSource = z.object({
  base64: z
    .string()
    .min(1)
    .max(
      Math.ceil(MAX_INLINE_BYTES / 3) * 4,
      `must decode to at most ${MAX_INLINE_BYTES} bytes (use artifactKey or url for larger images)`,
    )
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64"),
});

export const generateModelThumbnailInput = z.object({
  source: z.union([artifactKeySource, urlSource, inlineSource]),
  /** Thumbnails go to <outputPrefix>/<size>.<format>; default thumbnails/<idempotency key>. */
  outputPrefix: artifactKeyPrefix.optional(),
  /** Edge lengths in pixels; default: the runner's THUMBNAIL_SIZES (128, 256, 512). */
  sizes: z.array(z.number().int().min(16).max(4096)).min(1).max(10).optional(),
  formats: z
    .array(z.enum(["webp", "png"]))
    .min(1)
    .default(["webp", "png"]),
  /** cover: crop to a square; inside: keep the aspect ratio within the square. */
  fit: z.enum(["cover", "inside"]).default("cover"),
  maxInputPixels: z.number().int().positive().max(268_402_689).default(40_000_000),
  maxSourceBytes: z
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024),
});

const thumbnailSchema = z.object({
  key: z.string(),
  size: z.number(),
  format: z.enum(["webp", "png"]),
  width: z.number(),
  height: z.number(),
  bytes: z.number(),
  sha256: z.string(),
});

export const generateModelThumbnailOutput = z.object({
  source: z.object({
    format: z.string(),
    width: z.number(),
    height: z.number(),
    orientation: z.number().optional(),
  }),
  thumbnails: z.array(thumbnailSchema),
  totalBytes: z.number(),
});

export const generateModelThumbnail = defineTask({
  name: "models.generate_model_thumbnail",
  queue: "models",
  description:
    "Makes WebP and PNG thumbnails of a model's image at the configured sizes (EXIF-oriented, metadata stripped).",
  input: generateModelThumbnailInput,
  output: generateModelThumbnailOutput,
  retry: { maxAttempts: 3, backoff: { initialSeconds: 10, factor: 2, maxSeconds: 300 } },
  timeouts: { softSeconds: 300 },
  async run(input, ctx) {
    const sharp = (await import("sharp")).default;
    const sizes = input.sizes ?? ctx.services.config().thumbnails.sizes;
    const prefix = input.outputPrefix ?? `thumbnails/${ctx.idempotencyKey}`;
    const dir = await mkdtemp(join(tmpdir(), "thumbnail-"));
    try {
      let path: string;
      if ("base64" in input.source) {
        path = join(dir, "inline");
        await writeFile(path, Buffer.from(input.source.base64, "base64"));
      } else {
        const [file] = await spoolSource(input.source, {
          store: () => ctx.services.artifacts(),
          dir,
          limit: input.maxSourceBytes,
          signal: ctx.signal,
        });
        path = (file as { path: string }).path;
      }
      const open = () =>
        sharp(path, { limitInputPixels: input.maxInputPixels, failOn: "error", sequentialRead: true });
      let metadata: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
      try {
        // The header only (no pixel decoding), so a bomb is refused below with the numbers.
        metadata = await sharp(path, { limitInputPixels: false }).metadata();
      } catch (error) {
        throw new PermanentError(`source is not an image sharp can read: ${(error as Error).message}`, {
          type: "NotAnImage",
          cause: error,
        });
      }
      const width = metadata.width ?? 0;
      const height = metadata.height ?? 0;
      if (width * height > input.maxInputPixels) {
        throw new PermanentError(
          `source is ${width}x${height} = ${width * height} pixels, over maxInputPixels ${input.maxInputPixels}`,
          { type: "ImageTooLarge" },
        );
      }
      const store = ctx.services.artifacts();
      const thumbnails: z.input<typeof thumbnailSchema>[] = [];
      const total = sizes.length * input.formats.length;
      for (const size of sizes) {
        for (const format of input.formats) {
          ctx.signal.throwIfAborted();
          let rendered: { data: Buffer; info: { width: number; height: number } };
          try {
            const pipeline = open()
              .rotate()
              .resize(size, size, { fit: input.fit, withoutEnlargement: input.fit === "inside" });
            rendered = await (format === "webp"
              ? pipeline.webp({ quality: 82 })
              : pipeline.png({ compressionLevel: 9 })
            ).toBuffer({ resolveWithObject: true });
          } catch (error) {
            throw new PermanentError(`source could not be decoded: ${(error as Error).message}`, {
              type: "NotAnImage",
              cause: error,
            });
          }
          const key = `${prefix}/${size}.${format}`;
          const stored = await store.put(key, rendered.data, { contentType: `image/${format}` });
          thumbnails.push({
            key,
            size,
            format,
            width: rendered.info.width,
            height: rendered.info.height,
            bytes: stored.bytes,
            sha256: stored.sha256,
          });
          ctx.progress(thumbnails.length / total, `${key}`);
        }
      }
      return {
        source: {
          format: metadata.format ?? "unknown",
          width,
          height,
          ...(metadata.orientation ? { orientation: metadata.orientation } : {}),
        },
        thumbnails,
        totalBytes: thumbnails.reduce((sum, t) => sum + t.bytes, 0),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});
