// The process node's image mapping (test/cluster/node/images.ts): the runner image runs this
// checkout's bundle, and an unbuilt bundle keeps the container waiting with the fix in its message.
import { describe, expect, it } from "vitest";
import { ImageMappingError, mapImage, RUNNER_ENTRYPOINT } from "../../cluster/node/images.ts";

const context = (built: boolean) => ({
  repoRoot: "/repo",
  scratchDir: "/scratch",
  dirExists: () => false,
  fileExists: (path: string) => built && path === "/repo/dist/runner.js",
});
const runner = { name: "runner", image: "ghcr.io/synthetiq/tasks:0.1.0@sha256:abc" };

describe("image mapping", () => {
  it("runs the runner image's entrypoint, the bundle, in the repository root", () => {
    expect(mapImage(runner, context(true))).toEqual({ argv: RUNNER_ENTRYPOINT, cwd: "/repo" });
    expect(mapImage({ ...runner, command: ["node", "dist/runner.js"] }, context(true)).argv).toEqual([
      "node",
      "dist/runner.js",
    ]);
  });

  it("refuses the runner image while its bundle is not built, saying how to build it", () => {
    expect(() => mapImage(runner, context(false))).toThrow(ImageMappingError);
    expect(() => mapImage(runner, context(false))).toThrow(
      /dist\/runner\.js is not built in \/repo: run `node scripts\/build.ts`/,
    );
  });

  it("runs other images' commands as given, in the pod's scratch directory", () => {
    expect(mapImage({ name: "c", image: "busybox", command: ["true"] }, context(false))).toEqual({
      argv: ["true"],
      cwd: "/scratch",
    });
  });
});
