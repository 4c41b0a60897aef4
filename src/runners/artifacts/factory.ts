// One factory from the runner configuration: S3 when a bucket is configured, else the local directory.
import type { RunnerConfig } from "../config.ts";
import { LocalArtifactStore } from "./local.ts";
import { S3ArtifactStore } from "./s3.ts";
import type { ArtifactStore } from "./store.ts";

export function createArtifactStore(config: RunnerConfig["artifacts"]): ArtifactStore {
  if (config.s3Bucket) {
    return new S3ArtifactStore({
      bucket: config.s3Bucket,
      region: config.s3Region,
      endpoint: config.s3Endpoint,
      forcePathStyle: config.s3ForcePathStyle,
    });
  }
  return new LocalArtifactStore(config.dir);
}
