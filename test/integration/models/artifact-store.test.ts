// The same contract suite against both artifact stores: the local directory and S3 (moto).
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactStore } from "../../../src/runners/artifacts/factory.ts";
import { InvalidArtifactKeyError } from "../../../src/runners/artifacts/keys.ts";
import { ArtifactNotFoundError, type ArtifactStore } from "../../../src/runners/artifacts/store.ts";
import { buildRunnerConfig } from "../../../src/runners/config.ts";
import { type RunningMoto, startMoto } from "../../harness/moto.ts";

let moto: RunningMoto;
const localDir = mkdtempSync(join(tmpdir(), "artifacts-"));

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.credentials);
  const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: "contract" }));
});
afterAll(async () => {
  await moto?.stop();
  rmSync(localDir, { recursive: true, force: true });
});

const stores: [string, () => ArtifactStore][] = [
  [
    "local directory",
    () => createArtifactStore(buildRunnerConfig({ artifacts: { dir: localDir } }).artifacts),
  ],
  [
    "S3 (moto)",
    () =>
      createArtifactStore(
        buildRunnerConfig({
          artifacts: { s3Bucket: "contract", s3Endpoint: moto.endpoint, s3ForcePathStyle: true },
        }).artifacts,
      ),
  ],
];

describe.each(stores)("artifact store contract: %s", (_name, makeStore) => {
  it("stores bytes and returns their size and SHA-256, then reads them back", async () => {
    const store = makeStore();
    const body = Buffer.from("model weights, pretend");
    const stored = await store.put("contract/a/b.bin", body, { contentType: "application/octet-stream" });
    expect(stored.bytes).toBe(body.length);
    expect(stored.sha256).toBe(createHash("sha256").update(body).digest("hex"));
    expect(await buffer(await store.get("contract/a/b.bin"))).toEqual(body);
    expect(await store.head("contract/a/b.bin")).toEqual({ bytes: body.length });
  });

  it("streams a body larger than one multipart part without changing a byte", async () => {
    const store = makeStore();
    const big = Buffer.alloc(9 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const chunks = function* () {
      for (let i = 0; i < big.length; i += 1_000_000) yield big.subarray(i, i + 1_000_000);
    };
    const stored = await store.put("contract/big.bin", Readable.from(chunks()));
    expect(stored.bytes).toBe(big.length);
    expect(stored.sha256).toBe(createHash("sha256").update(big).digest("hex"));
    const back = await buffer(await store.get("contract/big.bin"));
    expect(back.equals(big)).toBe(true);
  });

  it("replaces an object on a second put, lists by prefix and deletes", async () => {
    const store = makeStore();
    await store.put("contract/list/x.txt", Buffer.from("one"));
    await store.put("contract/list/x.txt", Buffer.from("two!"));
    await store.put("contract/list/y/z.txt", Buffer.from("z"));
    await store.put("contract/listing-other.txt", Buffer.from("o"));
    expect(await store.list("contract/list/")).toEqual(["contract/list/x.txt", "contract/list/y/z.txt"]);
    expect((await buffer(await store.get("contract/list/x.txt"))).toString()).toBe("two!");
    await store.delete("contract/list/x.txt");
    expect(await store.head("contract/list/x.txt")).toBeNull();
    await expect(store.get("contract/list/x.txt")).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it("refuses keys that could escape the store", async () => {
    const store = makeStore();
    for (const key of ["../etc/passwd", "/abs", "a/../../b", "a//b", "a\\b", ""]) {
      await expect(store.put(key, Buffer.from("x"))).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    }
  });

  it("gives a link that fetches the object", async () => {
    const store = makeStore();
    await store.put("contract/link.txt", Buffer.from("linked"));
    const url = await store.link("contract/link.txt", 60);
    if (url.startsWith("file:")) {
      expect(url).toMatch(/contract\/link\.txt$/);
      expect(readFileSync(fileURLToPath(url), "utf8")).toBe("linked");
    } else {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("linked");
    }
  });
});

it("the local store leaves no temporary file behind when a stream fails midway", async () => {
  const store = createArtifactStore(buildRunnerConfig({ artifacts: { dir: localDir } }).artifacts);
  const failing = new Readable({
    read() {
      this.push(Buffer.from("partial"));
      this.destroy(new Error("source broke"));
    },
  });
  await expect(store.put("contract/fail/broken.bin", failing)).rejects.toThrow("source broke");
  expect(readdirSync(join(localDir, "contract", "fail"))).toEqual([]);
  expect(await store.head("contract/fail/broken.bin")).toBeNull();
});
