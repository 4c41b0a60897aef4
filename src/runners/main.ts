// The runner image's entrypoint (`node src/runners/main.ts`): runs one attempt of the task the
// Job's env names and exits 0 (success), 1 (retryable) or 2 (permanent). See docs/runner.md.
//
// Node's compile cache (NODE_COMPILE_CACHE, else a directory under the OS temp dir) keeps the
// type-stripped, compiled modules between runs: bake it into the image by running this file once
// at build time, which roughly halves the cold start. It must be enabled before the rest loads,
// hence the dynamic imports. The task is found through the lazy loader table (task-loaders.ts):
// only the module of the task that runs is loaded, not the whole registry; zod gets its English
// messages only (zod-locales.ts).
import { enableCompileCache } from "node:module";
import { loadEnglishZodLocaleOnly } from "./zod-locales.ts";

enableCompileCache();
loadEnglishZodLocaleOnly();
const [{ builtInTaskSource }, { runEntrypoint }] = await Promise.all([
  import("./task-loaders.ts"),
  import("./sdk/entrypoint.ts"),
]);
process.exit(await runEntrypoint({ tasks: builtInTaskSource(process.env), env: process.env }));
