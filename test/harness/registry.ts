// A real OCI distribution registry (Debian's docker-registry) on loopback, storing into a
// temporary directory: the push target for models.push_to_ecr's tests.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, HARNESS_DIR, startProcess, waitFor } from "./processes.ts";

export interface RunningRegistry {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** 127.0.0.1:PORT, as image references spell it. */
  host: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<RunningRegistry> {
  const port = await freePort();
  const dir = mkdtempSync(join(HARNESS_DIR, "registry-"));
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "  secret: test-only-secret",
      "",
    ].join("\n"),
  );
  const proc = startProcess(`registry-${port}`, "/usr/bin/docker-registry", ["serve", config]);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(
    `registry on port ${port}`,
    async () => (await fetch(`${endpoint}/v2/`)).ok,
    30_000,
    proc.logFile,
  );
  return {
    endpoint,
    host: `127.0.0.1:${port}`,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
