// The runner's logged peak RSS is its own: a runner started by a process that holds a lot of memory
// (the local cluster's node agent, a test runner) must not report the parent's memory as its peak.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "vitest";

const ATTEMPT = join(import.meta.dirname, "../../../src/runners/sdk/attempt.ts");

test.runIf(process.platform === "linux")(
  "peakRssBytes is the process's own peak, not what its parent held when it forked it",
  (context) => {
    // A parent that touches 300 MB, then starts a small child that prints both figures.
    const parent = `
      const held = Buffer.alloc(300 * 1024 * 1024, 1);
      const { spawnSync } = require("node:child_process");
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", ${JSON.stringify(
        `const { peakRssBytes } = await import(${JSON.stringify(ATTEMPT)});
         console.log(JSON.stringify({ peak: peakRssBytes(), maxRSS: process.resourceUsage().maxRSS * 1024 }));`,
      )}], { encoding: "utf8" });
      if (child.status !== 0) { console.error(child.stderr); process.exit(1); }
      process.stdout.write(child.stdout);
      held[0] = 2;
    `;
    const ran = spawnSync(process.execPath, ["-e", parent], { encoding: "utf8" });
    expect(ran.status, ran.stderr).toBe(0);
    const { peak, maxRSS } = JSON.parse(ran.stdout) as { peak: number; maxRSS: number };
    const mb = (bytes: number) => bytes / 1024 / 1024;
    // Where ru_maxrss does not carry the parent's memory over (some sandboxed kernels), there is
    // nothing to tell apart.
    if (mb(maxRSS) < 300) context.skip();
    expect(mb(peak)).toBeLessThan(200);
    expect(mb(peak)).toBeGreaterThan(10);
  },
);
