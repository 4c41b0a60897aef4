// Reading examples/: the files, the TaskRuns each one creates, and the error text quoted under
// "# What you see:" in a mistake's comment (the test checks it against what really happens).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "../../cluster/layout.ts";

const EXAMPLES_DIR = join(REPO_ROOT, "examples");

export const exampleFile = (file: string) => join(EXAMPLES_DIR, file);

/** Every YAML file under examples/, relative to it. */
export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".yaml"))
    .map((entry) => relative(EXAMPLES_DIR, join(entry.parentPath, entry.name)))
    .sort();
}

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: { task?: string; input?: unknown };
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(exampleFile(file), "utf8")).map((doc) => doc.toJS() as Manifest);
}

export function taskRunNames(file: string): string[] {
  return manifests(file)
    .filter((m) => m.kind === "TaskRun")
    .map((m) => m.metadata.name);
}

/** The input of the file's first TaskRun, as the example spells it. */
export function taskRunInput(file: string): unknown {
  const run = manifests(file).find((m) => m.kind === "TaskRun");
  if (!run) throw new Error(`examples/${file} has no TaskRun`);
  return run.spec?.input;
}

/** Task names used by the TaskRuns of the valid examples (not under mistakes/). */
export function tasksWithExamples(): Set<string> {
  return new Set(
    exampleFiles()
      .filter((file) => !file.startsWith("mistakes/"))
      .flatMap((file) => manifests(file))
      .flatMap((m) => (m.kind === "TaskRun" && m.spec?.task ? [m.spec.task] : [])),
  );
}

/** The comment lines under "# What you see:", joined: the error the user is told to expect. */
export function expectedError(file: string): string {
  const lines = readFileSync(exampleFile(file), "utf8").split("\n");
  const start = lines.findIndex((line) => line.startsWith("# What you see:"));
  if (start < 0) throw new Error(`examples/${file} has no "# What you see:" comment`);
  const quoted: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^#\s{3}(.*)$/.exec(line);
    if (!match) break;
    quoted.push(match[1]!.trim());
  }
  if (quoted.length === 0) throw new Error(`examples/${file}: nothing quoted under "# What you see:"`);
  return quoted.join(" ");
}
