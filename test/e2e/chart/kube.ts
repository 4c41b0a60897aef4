// kubectl and helm against the local cluster for the chart's end-to-end tests, and a namespace
// that enforces the restricted Pod Security Standard.
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { type CommandResult, helm } from "../../harness/helm.ts";

export function clusterEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: inject("kubeconfigPath") };
}

export function kubectl(args: string[], input?: string): CommandResult {
  const result = spawnSync(inject("kubectlPath"), args, {
    encoding: "utf8",
    env: clusterEnv(),
    input,
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** kubectl without blocking the event loop, for long commands (`kubectl wait`) while servers of
 * this test process (the SMTP sink) must keep answering. */
export function kubectlAsync(args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      inject("kubectlPath"),
      args,
      { env: clusterEnv(), encoding: "utf8", timeout: 180_000 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ status: error ? (typeof code === "number" ? code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** kubectl that must succeed; returns stdout. */
export function kubectlOk(args: string[], input?: string): string {
  const result = kubectl(args, input);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

export function helmOnCluster(args: string[], values?: object): CommandResult {
  return helm(args, values, clusterEnv());
}

/** A fresh namespace labelled pod-security.kubernetes.io/enforce=restricted (and warn, audit). */
export function createRestrictedNamespace(prefix: string): string {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: Object.fromEntries(
        ["enforce", "warn", "audit"].flatMap((mode) => [
          [`pod-security.kubernetes.io/${mode}`, "restricted"],
          [`pod-security.kubernetes.io/${mode}-version`, "latest"],
        ]),
      ),
    },
  };
  kubectlOk(["create", "-f", "-"], JSON.stringify(namespace));
  return name;
}

export function deleteNamespace(name: string) {
  kubectl(["delete", "namespace", name, "--wait=false", "--ignore-not-found"]);
}
