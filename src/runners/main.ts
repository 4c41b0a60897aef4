// The runner image's entrypoint (`node src/runners/main.ts`): runs one attempt of the task the
// Job's env names and exits 0 (success), 1 (retryable) or 2 (permanent). See docs/runner.md.
import { builtInTasks } from "./registry.ts";
import { runEntrypoint } from "./sdk/entrypoint.ts";

process.exit(await runEntrypoint({ tasks: builtInTasks, env: process.env }));
