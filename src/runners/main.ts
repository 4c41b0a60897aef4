// The runner's entrypoint, bundled into dist/runner.js (`node dist/runner.js`, scripts/build.ts):
// runs one attempt of the task the Job's env names and exits 0 (success), 1 (retryable) or 2
// (permanent). See docs/runner.md.
//
// Node's compile cache (NODE_COMPILE_CACHE, else a directory under the OS temp dir) keeps the
// compiled bundle between runs (10-25 ms per start). It must be enabled before the rest loads,
// hence the dynamic imports. The task is found through the lazy loader table (task-loaders.ts):
// only the chunk of the task that runs is loaded, not the whole registry.
import { enableCompileCache } from "node:module";

enableCompileCache();
const [{ builtInTaskSource }, { runEntrypoint }] = await Promise.all([
  import("./task-loaders.ts"),
  import("./sdk/entrypoint.ts"),
]);
process.exit(await runEntrypoint({ tasks: builtInTaskSource(process.env), env: process.env }));
