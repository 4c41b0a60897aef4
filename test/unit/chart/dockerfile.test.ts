// The Dockerfile checked without a Docker engine: what it copies exists, it ships the bundle that
// scripts/build.ts writes and runs its entry points, its runtime stage installs production
// dependencies only and the sources need nothing else, it runs as non-root on the project's Node major.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ENTRY_POINTS, entryPath } from "../../../scripts/build.ts";
import { REPO_ROOT } from "../../cluster/layout.ts";
import { RUNNER_ENTRYPOINT } from "../../cluster/node/images.ts";

const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8");
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));
const finalStage = instructions.slice(instructions.findLastIndex((line) => line.startsWith("FROM ")));
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The build context after .dockerignore (the simple form used here: `*` then `!path` lines). */
function inBuildContext(path: string): boolean {
  const allowed = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).replace(/\/$/, ""));
  return allowed.some((entry) => path === entry || path.startsWith(`${entry}/`));
}

function execForm(instruction: string): string[] {
  const match = finalStage.find((line) => line.startsWith(`${instruction} `));
  if (!match) throw new Error(`no ${instruction} in the final stage`);
  return JSON.parse(match.slice(instruction.length + 1)) as string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

describe("Dockerfile", () => {
  it("copies only paths that exist and that .dockerignore lets into the build context", () => {
    const copies = instructions.filter((line) => line.startsWith("COPY ") && !line.includes("--from="));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        const path = source.replace(/^\.\//, "").replace(/\/$/, "");
        expect(existsSync(join(REPO_ROOT, path)), `${copy}: ${path} exists`).toBe(true);
        expect(inBuildContext(path), `${copy}: ${path} is in the build context`).toBe(true);
      }
    }
  });

  it("builds the bundle in a stage of its own and ships dist/ with the runner as entrypoint, as the process node runs it", () => {
    const buildStage = instructions.slice(
      instructions.findIndex((line) => / AS build$/.test(line)),
      instructions.findIndex((line) => / AS deps$/.test(line)),
    );
    expect(buildStage).toContain("RUN node scripts/build.ts");
    expect(finalStage).toContain("COPY --from=build /app/dist ./dist");
    expect(execForm("ENTRYPOINT")).toEqual(RUNNER_ENTRYPOINT);
    expect(RUNNER_ENTRYPOINT).toEqual(["node", entryPath("runner")]);
    const workdir = finalStage.find((line) => line.startsWith("WORKDIR "));
    expect(workdir).toBe("WORKDIR /app");
    for (const source of Object.values(ENTRY_POINTS)) {
      expect(existsSync(join(REPO_ROOT, source)), `${source} exists`).toBe(true);
    }
  });

  it("runs as the non-root uid 65532 on the Node major of scripts/node24", () => {
    expect(finalStage).toContain("USER 65532:65532");
    const nodeScript = readFileSync(join(REPO_ROOT, "scripts", "node24"), "utf8");
    const imageMajor = dockerfile.match(/NODE_IMAGE=node:(\d+)-/)?.[1];
    expect(imageMajor).toBeDefined();
    expect(nodeScript).toContain(imageMajor);
    // Debian (glibc), so npm installs @img/sharp-linux-<arch>, which the lockfile carries for x64.
    expect(dockerfile).toMatch(/NODE_IMAGE=node:\d+-(bookworm|trixie)/);
    const lock = readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8");
    expect(lock).toContain('"node_modules/@img/sharp-linux-x64"');
    expect(lock).toContain('"node_modules/@img/sharp-libvips-linux-x64"');
  });

  it("installs production dependencies only, and src/ imports no development dependency", () => {
    expect(dockerfile).toMatch(/npm install --omit=dev --no-save/);
    const production = new Set(Object.keys(packageJson.dependencies));
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    const seen = new Set<string>();
    for (const file of sourceFiles(join(REPO_ROOT, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/^\s*import\s+(?!type\b)[^"']*?["']([^"'.][^"']*)["']/gm)) {
        const specifier = match[1]!;
        if (specifier.startsWith("node:") || builtins.has(specifier)) continue;
        const name = specifier.startsWith("@")
          ? specifier.split("/").slice(0, 2).join("/")
          : specifier.split("/")[0]!;
        seen.add(name);
        if (!production.has(name)) offenders.push(`${relative(REPO_ROOT, file)}: ${specifier}`);
      }
    }
    expect(seen).toContain("zod");
    expect(offenders).toEqual([]);
  });
});
