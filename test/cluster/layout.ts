// Where the local cluster keeps its files (.cluster/ in the repository root, git-ignored) and where
// the control-plane binaries are cached. One place so that the CLI, the test harness and the node
// agree on every path.
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Versions the cluster is built from; build-binaries.sh reads the same variables. */
export const K8S_VERSION = process.env.K8S_VERSION ?? "v1.36.3";

export interface ClusterLayout {
  root: string;
  pki: string;
  logs: string;
  etcdData: string;
  pods: string;
  stateFile: string;
  lockDir: string;
  usersDir: string;
  /** The admin kubeconfig handed to people and tests. */
  kubeconfig: string;
  /** Per-component kubeconfigs (controller-manager, scheduler, node). */
  componentKubeconfig(component: string): string;
}

export function clusterLayout(
  root = process.env.SYNTHETIQ_CLUSTER_DIR ?? join(REPO_ROOT, ".cluster"),
): ClusterLayout {
  return {
    root,
    pki: join(root, "pki"),
    logs: join(root, "logs"),
    etcdData: join(root, "etcd"),
    pods: join(root, "pods"),
    stateFile: join(root, "state.json"),
    lockDir: join(root, "lock"),
    usersDir: join(root, "users"),
    kubeconfig: join(root, "kubeconfig"),
    componentKubeconfig: (component) => join(root, "kubeconfigs", `${component}.kubeconfig`),
  };
}

/**
 * The directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and
 * helm. build-binaries.sh returns at once when they are cached and builds them otherwise.
 */
export function binaryDir(): string {
  const out = execFileSync("bash", [join(REPO_ROOT, "test", "cluster", "build-binaries.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const dir = out.trim().split("\n").at(-1);
  if (!dir) throw new Error("test/cluster/build-binaries.sh printed no binary directory");
  return dir;
}
