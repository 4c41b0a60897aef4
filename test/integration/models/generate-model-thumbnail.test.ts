// models.generate_model_thumbnail with images made by sharp in the test: EXIF orientation 6 is
// applied and stripped, every size/format is stored, pixel bombs and text files fail permanently.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LocalArtifactStore } from "../../../src/runners/artifacts/local.ts";
import { generateModelThumbnail } from "../../../src/runners/models/thumbnail/task.ts";
import { runTaskInProcess } from "../../../src/runners/sdk/in-process.ts";

type Output = {
  source: { width: number; height: number; orientation?: number };
  thumbnails: { key: string; size: number; format: string; width: number; height: number; bytes: number }[];
  totalBytes: number;
};

let dir: string;
let store: LocalArtifactStore;

/** 400x200 landscape: left half red, right half blue, stored as a JPEG tagged EXIF orientation 6. */
async function rotatedJpeg(): Promise<Buffer> {
  const half = (r: number, b: number) =>
    sharp({ create: { width: 200, height: 200, channels: 3, background: { r, g: 0, b } } })
      .png()
      .toBuffer();
  return sharp({ create: { width: 400, height: 200, channels: 3, background: "#000" } })
    .composite([
      { input: await half(255, 0), left: 0, top: 0 },
      { input: await half(0, 255), left: 200, top: 0 },
    ])
    .jpeg()
    .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: "secret-owner" } } })
    .toBuffer();
}

/** A ~200-byte greyscale PNG whose header claims 30000x30000 pixels (900 Mpx): a few rows of data. */
function pixelBombPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(30_000, 0);
  ihdr.writeUInt32BE(30_000, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const rows = deflateSync(Buffer.alloc(30_001 * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", rows),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "thumbs-"));
  store = new LocalArtifactStore(dir);
  await store.put("images/rotated.jpg", await rotatedJpeg());
  await store.put("images/bomb.png", pixelBombPng());
  await store.put("images/readme.txt", Buffer.from("this is not an image\n"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function thumbnail(input: unknown) {
  return runTaskInProcess(generateModelThumbnail, input, {
    redisUrl: inject("redisUrl"),
    config: { artifacts: { dir }, thumbnails: { sizes: [64, 128, 256] } },
  });
}

describe("models.generate_model_thumbnail", () => {
  it("stores every configured size in WebP and PNG, oriented by EXIF, without metadata", async () => {
    const record = await thumbnail({
      source: { artifactKey: "images/rotated.jpg" },
      outputPrefix: "thumbs/m1",
      fit: "inside",
    });
    expect(record.error).toBeUndefined();
    const output = record.output as Output;
    expect(output.source).toMatchObject({ width: 400, height: 200, orientation: 6 });
    expect(output.thumbnails.map((t) => t.key).sort()).toEqual(
      ["64.png", "64.webp", "128.png", "128.webp", "256.png", "256.webp"].map((k) => `thumbs/m1/${k}`).sort(),
    );
    for (const t of output.thumbnails) {
      const bytes = await buffer(await store.get(t.key));
      expect(bytes.length).toBe(t.bytes);
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe(t.format);
      // Rotated 90°: the 2:1 landscape becomes a 1:2 portrait.
      expect(meta.height).toBe(t.size);
      expect(meta.width).toBe(t.size / 2);
      expect(meta.exif).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
    }
    // After a 90° clockwise turn, the red left half is on top.
    const png = await buffer(await store.get("thumbs/m1/128.png"));
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    expect(pixel(32, 10)[0]).toBeGreaterThan(200);
    expect(pixel(32, 118)[2]).toBeGreaterThan(200);
    expect(output.totalBytes).toBe(output.thumbnails.reduce((n, t) => n + t.bytes, 0));
  });

  it("crops to squares by default and accepts inline base64", async () => {
    const small = await sharp({ create: { width: 300, height: 100, channels: 3, background: "#0a0" } })
      .png()
      .toBuffer();
    const record = await thumbnail({
      source: { base64: small.toString("base64") },
      sizes: [64],
      formats: ["webp"],
      outputPrefix: "thumbs/inline",
    });
    expect((record.output as Output).thumbnails).toEqual([
      expect.objectContaining({ key: "thumbs/inline/64.webp", width: 64, height: 64 }),
    ]);
  });

  it("refuses a decompression bomb permanently, naming the limit", async () => {
    const record = await thumbnail({
      source: { artifactKey: "images/bomb.png" },
      maxInputPixels: 10_000_000,
    });
    expect(record.error).toMatchObject({ type: "ImageTooLarge", retryable: false });
    expect(record.error?.message).toMatch(/30000x30000.*maxInputPixels 10000000/);
  });

  it("refuses a text file permanently", async () => {
    const record = await thumbnail({ source: { artifactKey: "images/readme.txt" } });
    expect(record.error).toMatchObject({ type: "NotAnImage", retryable: false });
  });

  it("rejects inline input over the size limit at validation, naming the field", async () => {
    const record = await thumbnail({ source: { base64: "A".repeat(1_500_000) } });
    expect(record.error?.retryable).toBe(false);
    expect(record.error?.message).toMatch(/source/);
  });
});
