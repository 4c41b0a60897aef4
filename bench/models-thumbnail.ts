// Thumbnail throughput: models.generate_model_thumbnail run in-process (real Redis for the result
// record, the local artifact store) on photos made here with sharp, against the same resizes done
// by sharp directly (the floor: what the task adds over the library). Not a test.
// Usage: node bench/models-thumbnail.ts [images=12] [width=3000] [height=2000]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { LocalArtifactStore } from "../src/runners/artifacts/local.ts";
import { generateModelThumbnail } from "../src/runners/models/thumbnail/task.ts";
import { runTaskInProcess } from "../src/runners/sdk/in-process.ts";
import { startRedis } from "../test/harness/services.ts";
import { emitResult } from "./lib/child.ts";
import { percentile } from "./lib/stats.ts";

const [images = 12, width = 3000, height = 2000] = process.argv.slice(2).map(Number);
const sizes = [128, 256, 512];
const formats = ["webp", "png"] as const;

const dir = await mkdtemp(join(tmpdir(), "bench-thumbnail-"));
const redis = await startRedis();
try {
  const store = new LocalArtifactStore(dir);
  const photos: Buffer[] = [];
  for (let i = 0; i < images; i++) {
    // Noise compresses like a photo, unlike a flat colour.
    const noise = Buffer.alloc(width * height * 3);
    for (let j = 0; j < noise.length; j += 97) noise[j] = (i * 31 + j) & 0xff;
    const jpeg = await sharp(noise, { raw: { width, height, channels: 3 } })
      .blur(1.5)
      .jpeg({ quality: 85 })
      .toBuffer();
    photos.push(jpeg);
    await store.put(`photos/${i}.jpg`, jpeg, { contentType: "image/jpeg" });
  }

  const direct: number[] = [];
  for (const photo of photos) {
    const t = performance.now();
    for (const size of sizes) {
      for (const format of formats)
        await sharp(photo).rotate().resize(size, size, { fit: "cover" }).toFormat(format).toBuffer();
    }
    direct.push(performance.now() - t);
  }

  const task: number[] = [];
  let peakRss = 0;
  for (let i = 0; i < photos.length; i++) {
    const t = performance.now();
    const record = await runTaskInProcess(
      generateModelThumbnail,
      { source: { artifactKey: `photos/${i}.jpg` }, sizes, formats: [...formats] },
      {
        redisUrl: redis.url,
        config: { artifacts: { dir } },
        taskRun: { namespace: "bench", name: `thumb-${i}` },
      },
    );
    task.push(performance.now() - t);
    if (record.status !== "succeeded")
      throw new Error(`thumbnail ${i} ${record.status}: ${JSON.stringify(record.error)}`);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }

  const figures = {
    images,
    sourcePixels: `${width}x${height}`,
    outputsPerImage: sizes.length * formats.length,
    taskP50Ms: Math.round(percentile(task, 50)),
    taskP99Ms: Math.round(percentile(task, 99)),
    sharpDirectP50Ms: Math.round(percentile(direct, 50)),
    imagesPerSecond: Number((images / (task.reduce((a, b) => a + b, 0) / 1000)).toFixed(2)),
    peakRssMB: Math.round(peakRss / 1024 / 1024),
  };
  console.table(figures);
  emitResult({ bench: "models-thumbnail", ...figures });
} finally {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}
