// The files the model examples read from artifact storage: a model card image for the thumbnail
// example and a pickle that calls os.system on load for the security scan. The demo and the
// examples test put them into the store the runners use.
import type { ArtifactStore } from "../src/runners/artifacts/store.ts";

export const EXAMPLE_ARTIFACTS = {
  modelCard: "examples/model-card.png",
  churnModel: "examples/models/churn-model.pkl",
} as const;

/**
 * A protocol-2 pickle whose loading runs `os.system("echo pwned")`: GLOBAL os.system, the argument
 * tuple, REDUCE. Never unpickled here; the scanner reads its opcodes.
 */
function maliciousPickle(): Buffer {
  const command = Buffer.from("echo pwned");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(command.length);
  return Buffer.concat([
    Buffer.from([0x80, 0x02]), // PROTO 2
    Buffer.from("cos\nsystem\n"), // GLOBAL os.system
    Buffer.from("X"), // BINUNICODE
    length,
    command,
    Buffer.from([0x85]), // TUPLE1
    Buffer.from("R."), // REDUCE, STOP
  ]);
}

/** A 640x400 PNG with a diagonal gradient, drawn by sharp (loaded lazily: it is a heavy module). */
async function modelCardPng(): Promise<Buffer> {
  const { default: sharp } = await import("sharp");
  const width = 640;
  const height = 400;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = Math.round((255 * x) / width);
      pixels[i + 1] = 90;
      pixels[i + 2] = Math.round((255 * y) / height);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Writes the example inputs (idempotent: same keys, same bytes). */
export async function putExampleArtifacts(store: ArtifactStore): Promise<string[]> {
  await store.put(EXAMPLE_ARTIFACTS.modelCard, await modelCardPng(), { contentType: "image/png" });
  await store.put(EXAMPLE_ARTIFACTS.churnModel, maliciousPickle(), {
    contentType: "application/octet-stream",
  });
  return Object.values(EXAMPLE_ARTIFACTS);
}
