// The runner's configuration, read from the environment and validated once at start-up, then
// passed down. Each integration has its own section; secrets arrive as env vars from Secret refs.
import { z } from "zod";

export const runnerConfigSchema = z.object({
  redis: z.object({
    url: z.string().default("redis://127.0.0.1:6379"),
    password: z.string().optional(),
    tls: z.boolean().default(false),
  }),
  // Model tasks (issue 5): artifact storage, ECR, thumbnails. Env mapping: modelsConfigFromEnv below.
  artifacts: z
    .object({
      /** ARTIFACTS_DIR: the local-directory store (the embedded default, a volume in the cluster). */
      dir: z.string().min(1).default("/var/lib/synthetiq/artifacts"),
      /** ARTIFACTS_S3_*: when a bucket is set, S3-compatible storage is used instead of the directory. */
      s3: z
        .object({
          bucket: z.string().min(3),
          endpoint: z.url().optional(),
          region: z.string().min(1).default("us-east-1"),
          forcePathStyle: z.boolean().default(false),
        })
        .optional(),
    })
    .default({ dir: "/var/lib/synthetiq/artifacts" }),
  ecr: z
    .object({
      /** AWS_REGION */
      region: z.string().min(1).default("us-east-1"),
      /** ECR_ENDPOINT: the ECR API endpoint (moto in tests). */
      endpoint: z.url().optional(),
      /** ECR_REGISTRY_ENDPOINT: push here instead of the proxyEndpoint ECR returns (tests, mirrors). */
      registryEndpoint: z.url().optional(),
    })
    .default({ region: "us-east-1" }),
  thumbnails: z
    .object({
      /** THUMBNAIL_SIZES: comma-separated edge lengths in pixels. */
      sizes: z.array(z.number().int().min(16).max(4096)).min(1).default([128, 256, 512]),
    })
    .default({ sizes: [128, 256, 512] }),
});

export type RunnerConfig = z.infer<typeof runnerConfigSchema>;

/** The raw (unvalidated) model-task sections from the environment; runnerConfigSchema validates them. */
export function modelsConfigFromEnv(env: NodeJS.ProcessEnv) {
  const bucket = env.ARTIFACTS_S3_BUCKET;
  return {
    artifacts: {
      dir: env.ARTIFACTS_DIR || undefined,
      s3: bucket
        ? {
            bucket,
            endpoint: env.ARTIFACTS_S3_ENDPOINT || undefined,
            region: env.ARTIFACTS_S3_REGION || env.AWS_REGION || undefined,
            forcePathStyle: env.ARTIFACTS_S3_FORCE_PATH_STYLE === "true",
          }
        : undefined,
    },
    ecr: {
      region: env.AWS_REGION || undefined,
      endpoint: env.ECR_ENDPOINT || undefined,
      registryEndpoint: env.ECR_REGISTRY_ENDPOINT || undefined,
    },
    thumbnails: {
      sizes: env.THUMBNAIL_SIZES ? env.THUMBNAIL_SIZES.split(",").map((s) => Number(s.trim())) : undefined,
    },
  };
}
