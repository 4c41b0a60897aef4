// The runner image's entrypoint (`node src/runners/main.ts`): runs one attempt of the task the
// Job's env names and exits 0 (success), 1 (retryable) or 2 (permanent). See docs/runner.md.
//
// Node's compile cache (NODE_COMPILE_CACHE, else a directory under the OS temp dir) keeps the
// type-stripped, compiled modules between runs: bake it into the image by running this file once
// at build time, which roughly halves the cold start. It must be enabled before the rest loads,
// hence the dynamic imports.
import { enableCompileCache } from "node:module";

enableCompileCache();
const [{ builtInTasks }, { runEntrypoint }] = await Promise.all([
  import("./registry.ts"),
  import("./sdk/entrypoint.ts"),
]);
process.exit(await runEntrypoint({ tasks: builtInTasks, env: process.env }));
