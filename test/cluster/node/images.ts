// How a container image maps to a local command (pure). The project's runner image
// (repository ghcr.io/synthetiq/tasks, any tag or digest) runs this checkout: working directory =
// the repository root (WORKDIR /app in the real image), entrypoint `node dist/runner.js` (the
// bundle scripts/build.ts writes; scripts/dev.sh and the test run build it) when the container
// gives no command. Any other image runs its command as given on the host, in a
// per-pod scratch directory. A container's workingDir wins when it exists on the host.
import { join } from "node:path";

export const RUNNER_IMAGE_REPOSITORY = "ghcr.io/synthetiq/tasks";
/** The real image's ENTRYPOINT; the Dockerfile must keep the same. */
export const RUNNER_ENTRYPOINT = ["node", "dist/runner.js"];

/** `ghcr.io/synthetiq/tasks:v1@sha256:...` → `ghcr.io/synthetiq/tasks`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

export interface ImageContext {
  repoRoot: string;
  /** Per-pod scratch directory for images other than the runner's. */
  scratchDir: string;
  dirExists(path: string): boolean;
  fileExists(path: string): boolean;
}

export interface ContainerLaunch {
  argv: string[];
  cwd: string;
}

export class ImageMappingError extends Error {}

export function mapImage(
  container: { name: string; image?: string; command?: string[]; args?: string[]; workingDir?: string },
  ctx: ImageContext,
): ContainerLaunch {
  const image = container.image ?? "";
  const isRunner = imageRepository(image) === RUNNER_IMAGE_REPOSITORY;
  const entrypoint = container.command?.length ? container.command : isRunner ? RUNNER_ENTRYPOINT : undefined;
  if (!entrypoint) {
    throw new ImageMappingError(
      `container "${container.name}": image "${image}" has no local entrypoint on the process node; set the container's command`,
    );
  }
  const baseDir = isRunner ? ctx.repoRoot : ctx.scratchDir;
  const cwd = container.workingDir && ctx.dirExists(container.workingDir) ? container.workingDir : baseDir;
  const argv = [...entrypoint, ...(container.args ?? [])];
  // The image's dist/ is this checkout's build: unbuilt, the pod waits (as on a missing image)
  // with the fix in its status, and starts once the build is there.
  const unbuilt = isRunner
    ? argv.find((arg) => arg.startsWith("dist/") && !ctx.fileExists(join(cwd, arg)))
    : undefined;
  if (unbuilt) {
    throw new ImageMappingError(
      `container "${container.name}": ${unbuilt} is not built in ${cwd}: run \`node scripts/build.ts\` (bash scripts/dev.sh build)`,
    );
  }
  return { argv, cwd };
}
