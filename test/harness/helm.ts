// Running the real helm binary (built from the Go module proxy by test/cluster/build-binaries.sh)
// on the chart in charts/synthetiq-tasks, and parsing what it renders.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { binaryDir, K8S_VERSION, REPO_ROOT } from "../cluster/layout.ts";

export const CHART_DIR = join(REPO_ROOT, "charts", "synthetiq-tasks");

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are read field by field in tests
  [field: string]: any;
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

let helmBinary: string | undefined;
export function helmPath(): string {
  helmBinary ??= join(binaryDir(), "helm");
  return helmBinary;
}

/** Runs helm with values written to a temporary file (`-f`), so tests pass plain objects. */
export function helm(args: string[], values?: object, env: NodeJS.ProcessEnv = process.env): CommandResult {
  const dir = mkdtempSync(join(tmpdir(), "helm-values-"));
  try {
    const valueArgs: string[] = [];
    if (values) {
      const file = join(dir, "values.json");
      writeFileSync(file, JSON.stringify(values));
      valueArgs.push("-f", file);
    }
    const result = spawnSync(helmPath(), [...args, ...valueArgs], {
      encoding: "utf8",
      env,
      timeout: 120_000,
    });
    if (result.error) throw result.error;
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` of the chart; throws with helm's message when rendering fails. */
export function renderChart(
  values: object = {},
  options: { namespace?: string; release?: string } = {},
): Manifest[] {
  const result = renderChartRaw(values, options);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

export function renderChartRaw(
  values: object = {},
  { namespace = "tasks", release = "tasks" }: { namespace?: string; release?: string } = {},
): CommandResult {
  return helm(
    [
      "template",
      release,
      CHART_DIR,
      "--namespace",
      namespace,
      "--kube-version",
      K8S_VERSION,
      "--include-crds",
    ],
    values,
  );
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null && typeof doc === "object" && "kind" in doc);
}

export function findManifest(manifests: Manifest[], kind: string, nameSuffix = ""): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name.endsWith(nameSuffix));
  if (!found)
    throw new Error(
      `no ${kind} named *${nameSuffix} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(", ")}`,
    );
  return found;
}
