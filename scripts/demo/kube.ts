// kubectl and helm (the binaries the local cluster is built with) against the demo's kubeconfig.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface Kube {
  kubeconfig: string;
  binDir: string;
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

function run(kube: Kube, binary: string, args: string[], input?: string, timeoutMs = 120_000): CommandResult {
  const result = spawnSync(join(kube.binDir, binary), args, {
    encoding: "utf8",
    env: { ...process.env, KUBECONFIG: kube.kubeconfig },
    input,
    timeout: timeoutMs,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export const kubectl = (kube: Kube, args: string[], input?: string) => run(kube, "kubectl", args, input);

/** kubectl that must succeed; returns stdout. */
export function kubectlOk(kube: Kube, args: string[], input?: string): string {
  const result = kubectl(kube, args, input);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export const helm = (kube: Kube, args: string[], timeoutMs = 400_000) =>
  run(kube, "helm", args, undefined, timeoutMs);

export function helmOk(kube: Kube, args: string[], timeoutMs = 400_000): string {
  const result = helm(kube, args, timeoutMs);
  if (result.status !== 0) throw new Error(`helm ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}
