// vitest globalSetup of the root config, which runs once per test run before any project's: builds
// dist/ (scripts/build.ts) unless it is current, so no test ever runs a stale bundle (the operator,
// the HTTP API and the runner pods all run dist/); after `scripts/dev.sh test` built it, a check.
import { ensureBuilt } from "../../scripts/build.ts";

export default function setup(): void {
  ensureBuilt();
}
