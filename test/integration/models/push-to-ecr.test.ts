// models.push_to_ecr against moto's ECR API (repository, auth token) and a real registry
// (docker-registry) as the push target, reached through a counting proxy (ECR_REGISTRY_ENDPOINT).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { LocalArtifactStore } from "../../../src/runners/artifacts/local.ts";
import { pushToEcr } from "../../../src/runners/models/ecr/task.ts";
import { runTaskInProcess } from "../../../src/runners/sdk/in-process.ts";
import {
  multiArchImage,
  singleArchImage,
  storeLayoutDirectory,
  storeLayoutTarball,
  type TestImage,
} from "../../fixtures/models/oci-image.ts";
import { type RunningMoto, startMoto } from "../../harness/moto.ts";
import { type RunningRegistry, startRegistry } from "../../harness/registry.ts";
import { type RegistryProxy, startRegistryProxy } from "./registry-proxy.ts";

type PushOutput = {
  repositoryUri: string;
  repositoryCreated: boolean;
  digest: string;
  tag: string;
  mediaType: string;
  blobsPushed: number;
  blobsSkipped: number;
  bytesSent: number;
};

const CHUNK = 5 * 1024 * 1024;
let moto: RunningMoto;
let registry: RunningRegistry;
let proxy: RegistryProxy;
let dir: string;
let store: LocalArtifactStore;
let single: TestImage;
let multi: TestImage;

beforeAll(async () => {
  [moto, registry] = await Promise.all([startMoto(), startRegistry()]);
  Object.assign(process.env, moto.credentials);
  proxy = await startRegistryProxy(registry.endpoint);
  dir = await mkdtemp(join(tmpdir(), "push-ecr-"));
  store = new LocalArtifactStore(dir);
  single = singleArchImage(CHUNK + 1024 * 1024); // the big layer needs two chunks
  multi = multiArchImage();
  await storeLayoutDirectory(store, "images/single", single);
  await storeLayoutTarball(store, "images/multi.tar", multi);
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([moto?.stop(), registry?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => proxy.reset());

function push(input: unknown) {
  return runTaskInProcess(pushToEcr, input, {
    redisUrl: inject("redisUrl"),
    config: {
      artifacts: { dir },
      ecr: { region: "us-east-1", endpoint: moto.endpoint, registryEndpoint: proxy.endpoint },
    },
  });
}

async function registryManifest(repository: string, reference: string) {
  const response = await fetch(`${registry.endpoint}/v2/${repository}/manifests/${reference}`, {
    headers: {
      accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
    },
  });
  return {
    status: response.status,
    digest: response.headers.get("docker-content-digest"),
    type: response.headers.get("content-type"),
  };
}

async function describeRepository(name: string) {
  const { ECRClient, DescribeRepositoriesCommand } = await import("@aws-sdk/client-ecr");
  const ecr = new ECRClient({ region: "us-east-1", endpoint: moto.endpoint });
  const { repositories } = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
  ecr.destroy();
  return repositories?.[0];
}

describe("models.push_to_ecr", () => {
  it("creates the repository with scan-on-push, immutable tags and encryption, and pushes every blob (large ones in chunks)", async () => {
    const record = await push({
      source: { ociLayout: { artifactPrefix: "images/single" } },
      repository: "models/sentiment",
      tag: "v1",
      chunkSizeBytes: CHUNK,
    });
    expect(record.error).toBeUndefined();
    const output = record.output as PushOutput;
    expect(output).toMatchObject({
      repositoryCreated: true,
      digest: single.top.digest,
      tag: "v1",
      blobsPushed: 3,
      blobsSkipped: 0,
    });
    const blobBytes = single.blobs
      .filter((b) => single.pushedBlobDigests.includes(b.digest))
      .reduce((n, b) => n + b.bytes.length, 0);
    expect(output.bytesSent).toBe(blobBytes + single.top.bytes.length);
    expect(output.repositoryUri).toMatch(/models\/sentiment$/);
    // The big layer went as two PATCHes, the small ones as monolithic PUTs.
    expect(proxy.counts.get("PATCH uploads")).toBe(2);
    expect(await registryManifest("models/sentiment", "v1")).toMatchObject({
      status: 200,
      digest: single.top.digest,
    });
    const repository = await describeRepository("models/sentiment");
    expect(repository?.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(repository?.imageTagMutability).toBe("IMMUTABLE");
    expect(repository?.encryptionConfiguration?.encryptionType).toBe("AES256");
  });

  it("uploads no blob on a second push of the same image", async () => {
    const record = await push({
      source: { ociLayout: { artifactPrefix: "images/single" } },
      repository: "models/sentiment",
      tag: "v1",
      chunkSizeBytes: CHUNK,
    });
    expect(record.output).toMatchObject({
      repositoryCreated: false,
      blobsPushed: 0,
      blobsSkipped: 3,
      bytesSent: 0,
      digest: single.top.digest,
    });
    expect(proxy.counts.get("POST uploads")).toBeUndefined();
    expect(proxy.counts.get("PUT manifests")).toBeUndefined();
  });

  it("pushes a multi-arch index from a layout tarball, each shared layer once", async () => {
    const record = await push({
      source: { ociLayout: { artifactKey: "images/multi.tar" } },
      repository: "models/multi",
      tag: "2024.1",
    });
    expect(record.error).toBeUndefined();
    expect(record.output).toMatchObject({
      digest: multi.top.digest,
      mediaType: "application/vnd.oci.image.index.v1+json",
      blobsPushed: multi.pushedBlobDigests.length,
      blobsSkipped: 0,
    });
    const top = await registryManifest("models/multi", "2024.1");
    expect(top).toMatchObject({ status: 200, digest: multi.top.digest });
    expect(top.type).toMatch(/image\.index/);
    const children = JSON.parse(multi.top.bytes.toString()).manifests as { digest: string }[];
    for (const child of children)
      expect((await registryManifest("models/multi", child.digest)).status).toBe(200);
  });

  it("copies an image from another registry by reference", async () => {
    const record = await push({
      source: { registry: { reference: `${registry.host}/models/sentiment:v1`, insecure: true } },
      repository: "models/copied",
      tag: "v1",
      chunkSizeBytes: CHUNK,
    });
    expect(record.error).toBeUndefined();
    expect(record.output).toMatchObject({ digest: single.top.digest, blobsPushed: 3 });
    expect(await registryManifest("models/copied", "v1")).toMatchObject({
      status: 200,
      digest: single.top.digest,
    });
  });

  it("retries throttling and server errors inside the attempt", async () => {
    proxy.rules.push(
      { match: "POST uploads", status: 503, times: 2 },
      { match: "HEAD blobs", status: 429, times: 1 },
    );
    const record = await push({
      source: { ociLayout: { artifactPrefix: "images/single" } },
      repository: "models/flaky",
      tag: "v1",
      chunkSizeBytes: CHUNK,
    });
    expect(record.error).toBeUndefined();
    expect(record.output).toMatchObject({ blobsPushed: 3, digest: single.top.digest });
    expect(proxy.rules.every((r) => r.times === 0)).toBe(true);
  });

  it("fails permanently when the registry refuses the credentials", async () => {
    proxy.rules.push({ match: "HEAD blobs", status: 401, times: Number.POSITIVE_INFINITY });
    const record = await push({
      source: { ociLayout: { artifactPrefix: "images/single" } },
      repository: "models/denied",
      tag: "v1",
    });
    expect(record.error).toMatchObject({ type: "RegistryAuthFailed", retryable: false });
    expect(record.error?.message).not.toMatch(/Basic /);
  });

  it("fails permanently for a missing source, naming the field", async () => {
    const missing = await push({
      source: { ociLayout: { artifactPrefix: "images/none" } },
      repository: "models/none",
      tag: "v1",
    });
    expect(missing.error).toMatchObject({ retryable: false });
    expect(missing.error?.message).toMatch(/source\.ociLayout.*images\/none\/index\.json/);
    const badName = await push({
      source: { ociLayout: { artifactPrefix: "images/single" } },
      repository: "Models/UPPER",
      tag: "v1",
    });
    expect(badName.error).toMatchObject({ retryable: false });
    expect(badName.error?.message).toMatch(/repository/);
  });
});
