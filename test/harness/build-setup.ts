// vitest globalSetup of the root config, which runs once per test run before any project's: builds
// dist/ (scripts/build.ts), so no test ever runs a stale bundle (the operator, the HTTP API and the
// runner pods all run dist/).
import { buildDist } from "../../scripts/build.ts";

export default function setup(): void {
  buildDist();
}
