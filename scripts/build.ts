// The build: bundles the shipped entry points into dist/ (ESM for Node 24) with rolldown, because
// loading TypeScript source module by module (type stripping, then each dependency file by file)
// costs the runner's cold start ~45 ms and ~18 MB per large dependency and the operator ~37 MB RSS.
// Code splitting keeps each task of src/runners/task-loaders.ts in its own chunk, so a runner still
// loads only the task it runs. Run: node scripts/build.ts (scripts/dev.sh and the tests run it).
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { Plugin } from "rolldown";

export const REPO_ROOT = join(import.meta.dirname, "..");
export const DIST_DIR = join(REPO_ROOT, "dist");

/** dist/<name>.js ← source: what the image, the chart, the Jobs and the harnesses run. */
export const ENTRY_POINTS = {
  runner: "src/runners/main.ts",
  operator: "src/operator/main.ts",
  "http-api": "src/operator/http-api/main.ts",
  "cdp-migrate": "src/runners/cdp/migrate.ts",
} as const;
export type EntryPoint = keyof typeof ENTRY_POINTS;

/**
 * Left to node_modules at run time: packages that read files beside their own code (pdfkit's fonts
 * through __dirname), load native code (sharp; pg's optional pg-native), or are large and loaded
 * only by the task that needs them (the AWS SDK).
 */
export const EXTERNAL_PACKAGES = ["sharp", "pdfkit", "pg", "pg-cursor", "@aws-sdk/"];

const MIGRATIONS_SOURCE = "src/runners/cdp/migrations";

/** The path of a built entry point, relative to the repository (or image) root: `dist/runner.js`. */
export function entryPath(entry: EntryPoint): string {
  return `dist/${entry}.js`;
}

/** What the bundle is made of: dist/ is stale when one of these changed after its last build. */
const BUILD_INPUTS = ["src", "scripts/build.ts", "package-lock.json"];
/** Written by every build, dated when the build started reading its inputs. */
const BUILD_STAMP = ".built";

function newestInputChange(): number {
  let newest = 0;
  for (const input of BUILD_INPUTS) {
    const path = join(REPO_ROOT, input);
    const files = statSync(path).isDirectory()
      ? readdirSync(path, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name))
      : [path];
    for (const file of files) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ when it is missing or older than its inputs (a few milliseconds when it is current),
 * so a test run, a harness or a benchmark run on its own never starts a stale bundle.
 */
export function ensureBuilt(): void {
  const stamp = statSync(join(DIST_DIR, BUILD_STAMP), { throwIfNoEntry: false });
  if (!stamp || stamp.mtimeMs < newestInputChange()) buildDist();
}

/** The absolute path of a built entry point, built first when stale (ensureBuilt). */
export function builtEntry(entry: EntryPoint): string {
  ensureBuilt();
  return join(REPO_ROOT, entryPath(entry));
}

function isExternal(id: string): boolean {
  return EXTERNAL_PACKAGES.some((name) =>
    name.endsWith("/") ? id.startsWith(name) : id === name || id.startsWith(`${name}/`),
  );
}

/**
 * zod's entry point exports all ~60 message locales (`z.locales`); nothing here uses any but English
 * (zod's default, which it imports on its own), so the bundle holds English only: ~9 MB RSS and
 * ~25 ms less per runner start.
 */
const englishZodLocaleOnly: Plugin = {
  name: "english-zod-locale-only",
  load: {
    filter: { id: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ },
    handler: () => 'export { default as en } from "./en.js";',
  },
};

/** src/runners/cdp/migrate.ts reads its .sql files beside itself (import.meta.dirname): dist/migrations. */
const cdpMigrations: Plugin = {
  name: "cdp-migrations",
  async generateBundle() {
    const dir = join(REPO_ROOT, MIGRATIONS_SOURCE);
    for (const name of (await readdir(dir)).filter((file) => file.endsWith(".sql")).sort()) {
      this.emitFile({
        type: "asset",
        fileName: `migrations/${name}`,
        source: await readFile(join(dir, name)),
      });
    }
  },
};

/**
 * Builds dist/ in a child process (`node scripts/build.ts`), throwing when the build fails. Tests and
 * benchmarks use this rather than building in their own process: rolldown peaks at ~600 MB RSS, and
 * Linux hands a process's peak RSS (ru_maxrss) down to the children it spawns, so every runner
 * started afterwards would report that as its own peak.
 */
export function buildDist(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, "scripts", "build.ts")], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
}

/**
 * Builds dist/ and returns the files it holds. Unchanged files are left alone and changed ones are
 * replaced atomically, so a runner or operator started from dist/ while another test run rebuilds
 * it never reads half a file; files of earlier builds are removed.
 */
async function build(): Promise<string[]> {
  const started = new Date();
  const { rolldown } = await import("rolldown");
  const bundle = await rolldown({
    cwd: REPO_ROOT,
    input: ENTRY_POINTS,
    platform: "node",
    external: isExternal,
    plugins: [englishZodLocaleOnly, cdpMigrations],
    onLog(level, log, handler) {
      // A warning is a bundle that may fail at run time: the build fails instead.
      if (level === "warn") handler("error", log);
      else handler(level, log);
    },
  });
  try {
    // Maps without the sources' text, for NODE_OPTIONS=--enable-source-maps when a stack trace
    // should name src/ files: not on by default, it costs the runner ~7 MB of its 80 MB and the
    // operator ~8 MB.
    const { output } = await bundle.generate({
      dir: DIST_DIR,
      format: "esm",
      sourcemap: true,
      sourcemapExcludeSources: true,
    });
    const files = new Map<string, Uint8Array>();
    const add = (name: string, content: string | Uint8Array) =>
      files.set(name, typeof content === "string" ? Buffer.from(content) : content);
    for (const file of output) {
      if (file.type === "asset") add(file.fileName, file.source);
      else {
        add(file.fileName, file.code);
        if (file.map) add(`${file.fileName}.map`, file.map.toString());
      }
    }
    add(BUILD_STAMP, `${started.toISOString()}\n`);
    await writeChanged(files);
    // An input changed during the build is newer than the stamp: the next ensureBuilt() rebuilds.
    await utimes(join(DIST_DIR, BUILD_STAMP), started, started);
    return [...files.keys()].sort();
  } finally {
    await bundle.close();
  }
}

async function writeChanged(files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  await mkdir(DIST_DIR, { recursive: true });
  for (const [name, content] of files) {
    const path = join(DIST_DIR, name);
    const current = await readFile(path).catch(() => undefined);
    if (current?.equals(content)) continue;
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, content);
    await rename(temporary, path);
  }
  for (const entry of await readdir(DIST_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const name = relative(DIST_DIR, join(entry.parentPath, entry.name));
    if (!files.has(name)) await rm(join(DIST_DIR, name), { force: true });
  }
}

if (import.meta.main) {
  const started = performance.now();
  const files = await build();
  const entries = Object.keys(ENTRY_POINTS).map((entry) => entryPath(entry as EntryPoint));
  console.error(
    `built ${entries.join(", ")} (${files.length} files in dist/) in ${Math.round(performance.now() - started)} ms`,
  );
}
