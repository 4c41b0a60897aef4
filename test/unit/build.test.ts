// The bundle in dist/ (scripts/build.ts, built by the test run's global setup): the runner's start-up
// path does not reach any task's chunk, zod carries its English locale only, the packages that need
// their own files or native code stay in node_modules, and the CDP migrations sit beside the bundle.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DIST_DIR, ENTRY_POINTS, EXTERNAL_PACKAGES, entryPath, REPO_ROOT } from "../../scripts/build.ts";
import { taskLoaders } from "../../src/runners/task-loaders.ts";

const read = (file: string) => readFileSync(join(DIST_DIR, file), "utf8");
const relativeImports = (code: string, pattern: RegExp) =>
  [...code.matchAll(pattern)].map((match) => match[1]!.replace(/^\.\//, ""));
const staticImports = (file: string) =>
  relativeImports(read(file), /^(?:import|export)\b[^;]*?["'](\.\/[^"']+)["']/gm);
const dynamicImports = (file: string) => relativeImports(read(file), /\bimport\(["'](\.\/[^"']+)["']\)/g);

/** The files `file` loads before its code runs, itself included. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imported of staticImports(file)) staticClosure(imported, seen);
  return seen;
}

/** Every file `file` may ever load: static and dynamic imports, transitively. */
function fullClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imported of [...staticImports(file), ...dynamicImports(file)]) fullClosure(imported, seen);
  return seen;
}

const sourcesOf = (file: string) =>
  existsSync(join(DIST_DIR, `${file}.map`))
    ? (JSON.parse(read(`${file}.map`)) as { sources: string[] }).sources
    : [];

/** Every module bundled into dist/, from the source maps (node_modules/... and src/... paths). */
const bundledModules = readdirSync(DIST_DIR)
  .filter((file) => file.endsWith(".js.map"))
  .flatMap((file) => (JSON.parse(read(file)) as { sources: string[] }).sources);

describe("the bundle (dist/)", () => {
  it("holds every entry point", () => {
    for (const entry of Object.keys(ENTRY_POINTS) as (keyof typeof ENTRY_POINTS)[]) {
      expect(existsSync(join(REPO_ROOT, entryPath(entry))), entryPath(entry)).toBe(true);
    }
  });

  it("loads each task in a chunk of its own, only when the runner asks for it", () => {
    const startUp = dynamicImports("runner.js").flatMap((file) => [...staticClosure(file)]);
    const loaders = startUp.find((file) => file.startsWith("task-loaders-"));
    expect(loaders).toBeDefined();
    const taskChunks = dynamicImports(loaders!);
    // One per production task, the testing.* module, and the registry (for an unknown name's error).
    const productionTasks = [...taskLoaders({}).keys()].length;
    expect(new Set(taskChunks).size).toBe(productionTasks + 2);
    for (const chunk of taskChunks) expect(startUp).not.toContain(chunk);
    expect(startUp.some((file) => file.startsWith("nodemailer-"))).toBe(false);
  });

  it("never gives the runner the Kubernetes client, in any task", () => {
    const runnerModules = [...fullClosure("runner.js")].flatMap(sourcesOf);
    expect(runnerModules.some((path) => path.includes("/zod/"))).toBe(true);
    expect(runnerModules.filter((path) => path.includes("@kubernetes/client-node"))).toEqual([]);
    expect(sourcesOf("http-api.js").some((path) => path.includes("@kubernetes/client-node"))).toBe(true);
  });

  it("carries zod's English locale only", () => {
    const locales = bundledModules.filter((path) => path.includes("zod/v4/locales/"));
    expect(locales.map((path) => path.replace(/.*\/locales\//, ""))).toEqual(["en.js"]);
  });

  it("leaves the packages that need their own files or native code in node_modules", () => {
    const bundledPackages = bundledModules.flatMap(
      (path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path) ?? [],
    );
    for (const name of EXTERNAL_PACKAGES) {
      expect(bundledPackages.filter((bundled) => bundled.startsWith(name))).toEqual([]);
    }
    expect(bundledPackages.some((bundled) => bundled.includes("ioredis"))).toBe(true);
  });

  it("copies the CDP migrations beside the bundle, where migrate.ts looks for them", () => {
    const sources = readdirSync(join(REPO_ROOT, "src/runners/cdp/migrations")).filter((f) =>
      f.endsWith(".sql"),
    );
    expect(readdirSync(join(DIST_DIR, "migrations")).sort()).toEqual(sources.sort());
  });
});
