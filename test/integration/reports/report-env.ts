// What the report task tests share: a fresh CDP schema, moto's S3 with a bucket, the real Redis,
// and running a task in-process against all three.
import { buffer } from "node:stream/consumers";
import { createArtifactStore } from "../../../src/runners/artifacts/factory.ts";
import type { ArtifactStore } from "../../../src/runners/artifacts/store.ts";
import type { DeepPartial, RunnerConfigInput } from "../../../src/runners/config.ts";
import { buildRunnerConfig } from "../../../src/runners/config.ts";
import type { ResultRecord } from "../../../src/runners/results/record.ts";
import { type InProcessOptions, runTaskInProcess } from "../../../src/runners/sdk/in-process.ts";
import type { TaskDefinition } from "../../../src/runners/sdk/task.ts";
import { startMoto } from "../../harness/moto.ts";
import { type CdpSchema, createCdpSchema } from "./cdp-database.ts";

export interface ReportEnv {
  db: CdpSchema;
  store: ArtifactStore;
  redisUrl: string;
  run(task: TaskDefinition, input: unknown, options?: Partial<InProcessOptions>): Promise<ResultRecord>;
  read(key: string): Promise<Buffer>;
  stop(): Promise<void>;
}

export async function startReportEnv(
  urls: { databaseUrl: string; redisUrl: string },
  name: string,
): Promise<ReportEnv> {
  const [db, moto] = await Promise.all([createCdpSchema(urls.databaseUrl, name), startMoto()]);
  Object.assign(process.env, moto.credentials);
  const bucket = `reports-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const { S3Client, CreateBucketCommand } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({ region: "us-east-1", endpoint: moto.endpoint, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  const config: DeepPartial<RunnerConfigInput> = {
    artifacts: { s3Bucket: bucket, s3Endpoint: moto.endpoint, s3ForcePathStyle: true },
  };
  const store = createArtifactStore(buildRunnerConfig(config).artifacts);
  const url = new URL(urls.databaseUrl);
  url.searchParams.set("options", `-c search_path=${db.schema}`);
  return {
    db,
    store,
    redisUrl: urls.redisUrl,
    run: (task, input, options = {}) =>
      runTaskInProcess(task, input, {
        redisUrl: urls.redisUrl,
        databaseUrl: url.href,
        ...options,
        config: { ...config, ...options.config },
      }),
    read: async (key) => buffer(await store.get(key)),
    async stop() {
      await Promise.allSettled([db.drop(), moto.stop()]);
    },
  };
}
