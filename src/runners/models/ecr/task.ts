// models.push_to_ecr: copies an OCI image (from a registry reference or an OCI layout in artifact
// storage) to an ECR repository: ensures the repository (scan-on-push, tag immutability,
// encryption), gets an auth token, then pushes through the distribution API (copy-image.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { defineTask, PermanentError } from "../../sdk/task.ts";
import type { ImageSource } from "./image-source.ts";
import type { ImageReference } from "./oci.ts";

/** ECR's minimum upload part size (except the last). */
const MIN_CHUNK = 5 * 1024 * 1024;

export const pushToEcrInput = z.object({
  source: z.union([
    z.object({
      registry: z.object({
        /** host[:port]/repository[:tag|@sha256:...] */
        reference: z.string().min(3),
        /** Plain HTTP (a registry on a private network or loopback). */
        insecure: z.boolean().default(false),
      }),
    }),
    z
      .object({
        ociLayout: z.object({
          /** A directory: the key prefix holding index.json, oci-layout and blobs/. */
          artifactPrefix: z.string().min(1).optional(),
          /** A tarball of the layout (docker save --format oci, skopeo copy oci-archive:, ...). */
          artifactKey: z.string().min(1).optional(),
          /** The image's org.opencontainers.image.ref.name (or digest) when the layout holds several. */
          reference: z.string().min(1).optional(),
        }),
      })
      .refine((s) => (s.ociLayout.artifactPrefix === undefined) !== (s.ociLayout.artifactKey === undefined), {
        message: "set exactly one of artifactPrefix (a directory) or artifactKey (a tarball)",
        path: ["ociLayout"],
      }),
  ]),
  repository: z
    .string()
    .min(2)
    .max(256)
    .regex(
      /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
      "must be an ECR repository name (lowercase, '/', '.', '_', '-')",
    ),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, "must be a valid image tag"),
  repositorySettings: z
    .object({
      scanOnPush: z.boolean().default(true),
      tagImmutability: z.boolean().default(true),
      encryption: z
        .object({ type: z.enum(["AES256", "KMS"]).default("AES256"), kmsKey: z.string().optional() })
        .refine((e) => e.type === "KMS" || e.kmsKey === undefined, {
          message: "kmsKey needs type KMS",
          path: ["kmsKey"],
        })
        .default({ type: "AES256" }),
    })
    .default({ scanOnPush: true, tagImmutability: true, encryption: { type: "AES256" } }),
  /** Blobs larger than this are uploaded in chunks of this size. */
  chunkSizeBytes: z
    .number()
    .int()
    .min(MIN_CHUNK)
    .max(1024 ** 3)
    .default(16 * 1024 * 1024),
});

export const pushToEcrOutput = z.object({
  repositoryUri: z.string(),
  repositoryCreated: z.boolean(),
  /** Where the bytes went: ECR's proxyEndpoint, or the configured ECR_REGISTRY_ENDPOINT override. */
  registryEndpoint: z.string(),
  digest: z.string(),
  tag: z.string(),
  mediaType: z.string(),
  manifestsPushed: z.number(),
  blobsPushed: z.number(),
  blobsSkipped: z.number(),
  bytesSent: z.number(),
});

export const pushToEcr = defineTask({
  name: "models.push_to_ecr",
  queue: "models",
  description:
    "Copies an OCI image (registry reference or OCI layout in artifact storage) to an ECR repository, skipping blobs it already has.",
  input: pushToEcrInput,
  output: pushToEcrOutput,
  retry: { maxAttempts: 4, backoff: { initialSeconds: 30, factor: 2, maxSeconds: 600 } },
  timeouts: { softSeconds: 3600 },
  async run(input, ctx) {
    // Loaded on first use: the registry imports this module on every cold start.
    const [
      { copyImage },
      { ensureRepository, openEcr, registryAuthorization },
      { DEFAULT_RETRY },
      { RegistryClient },
    ] = await Promise.all([
      import("./copy-image.ts"),
      import("./ecr-api.ts"),
      import("./http-retry.ts"),
      import("./registry-client.ts"),
    ]);
    const config = ctx.services.config().ecr;
    const retry = {
      ...DEFAULT_RETRY,
      signal: ctx.signal,
      onRetry: (error: Error, attempt: number, delayMs: number) =>
        ctx.log.warn("registry call retried", { error: error.message, attempt, delayMs }),
    };
    const ecr = await openEcr({ region: config.region, endpoint: config.endpoint });
    const temp = await mkdtemp(join(tmpdir(), "push-to-ecr-"));
    try {
      ctx.progress(0.02, "ensuring repository");
      const repository = await ensureRepository(ecr, input.repository, input.repositorySettings);
      const auth = await registryAuthorization(ecr);
      const registryEndpoint = config.registryEndpoint ?? auth.proxyEndpoint;
      const target = new RegistryClient({
        endpoint: registryEndpoint,
        repository: input.repository,
        authorization: auth.authorization,
        signal: ctx.signal,
      });
      const source = await openSource(input.source, () => ctx.services.artifacts(), temp, ctx.signal);
      ctx.progress(0.05, `copying ${source.description}`);
      const copied = await copyImage(source, target, input.tag, {
        chunkBytes: input.chunkSizeBytes,
        retry,
        onBlob: (done, total) => ctx.progress(0.05 + 0.9 * (done / total), `blob ${done} of ${total}`),
      });
      ctx.progress(1, "pushed");
      ctx.log.info("image pushed", {
        repository: input.repository,
        tag: input.tag,
        digest: copied.digest,
        blobsPushed: copied.blobsPushed,
        blobsSkipped: copied.blobsSkipped,
      });
      return {
        repositoryUri: repository.repositoryUri,
        repositoryCreated: repository.created,
        registryEndpoint,
        tag: input.tag,
        ...copied,
      };
    } finally {
      ecr.client.destroy();
      await rm(temp, { recursive: true, force: true });
    }
  },
});

async function openSource(
  source: z.output<typeof pushToEcrInput>["source"],
  artifacts: () => import("../../artifacts/store.ts").ArtifactStore,
  temp: string,
  signal: AbortSignal,
): Promise<ImageSource> {
  const [
    { layoutFromArtifacts, layoutFromTarball, RegistryImageSource },
    { parseImageReference },
    { RegistryClient },
  ] = await Promise.all([import("./image-source.ts"), import("./oci.ts"), import("./registry-client.ts")]);
  if ("registry" in source) {
    let reference: ImageReference;
    try {
      reference = parseImageReference(source.registry.reference);
    } catch (error) {
      throw new PermanentError(`source.registry.reference: ${(error as Error).message}`, {
        type: "InvalidInput",
      });
    }
    const client = new RegistryClient({
      endpoint: `${source.registry.insecure ? "http" : "https"}://${reference.registry}`,
      repository: reference.repository,
      signal,
    });
    return new RegistryImageSource(client, reference.reference);
  }
  const { artifactPrefix, artifactKey, reference } = source.ociLayout;
  if (artifactPrefix) return layoutFromArtifacts(artifacts(), artifactPrefix, reference);
  return layoutFromTarball(artifacts(), artifactKey as string, join(temp, "layout"), reference);
}
