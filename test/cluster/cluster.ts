// The local cluster's lifecycle: start (or reuse) etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and the process node as detached processes; stop them; stop, start or restart one
// component from any process (tests restart the API server mid-run). Everything goes through the
// state file in .cluster/, under the cluster lock.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../harness/processes.ts";
import {
  type ClusterPorts,
  COMPONENT_NAMES,
  type ComponentName,
  type ComponentSpec,
  componentSpecs,
} from "./components.ts";
import { kubeconfigFor } from "./kubeconfig.ts";
import { binaryDir, type ClusterLayout, clusterLayout, REPO_ROOT } from "./layout.ts";
import { killOrphanedContainers } from "./node/orphans.ts";
import { ensurePki, NODE_NAME } from "./pki.ts";
import { isRunning, spawnDetached, stopProcess, type TlsClient, waitHealthy } from "./processes.ts";
import {
  type ClusterState,
  type ComponentState,
  liveUsers,
  readState,
  registerUser,
  removeState,
  unregisterUser,
  withClusterLock,
  writeState,
} from "./state.ts";

export type { ClusterLayout, ClusterState, ComponentName };
export { clusterLayout, NODE_NAME };

export interface StartedCluster {
  layout: ClusterLayout;
  state: ClusterState;
  kubeconfig: string;
  kubectl: string;
  /** True when a running cluster was found and reused. */
  reused: boolean;
  /** Wall time of the start (0 when reused). */
  startMs: number;
}

/** Stop order; start order is the reverse except that etcd must be healthy first. */
const STOP_ORDER: ComponentName[] = [
  "node",
  "kube-scheduler",
  "kube-controller-manager",
  "kube-apiserver",
  "etcd",
];

function adminTls(layout: ClusterLayout): TlsClient {
  return {
    ca: readFileSync(join(layout.pki, "ca.crt")),
    cert: readFileSync(join(layout.pki, "admin.crt")),
    key: readFileSync(join(layout.pki, "admin.key")),
  };
}

/** Components with their own self-signed serving certificate are probed without verification. */
function healthTls(layout: ClusterLayout, name: ComponentName): TlsClient {
  return name === "kube-apiserver" || name === "node" ? adminTls(layout) : {};
}

export function runningComponents(state: ClusterState): Record<ComponentName, boolean> {
  return Object.fromEntries(
    COMPONENT_NAMES.map((name) => {
      const c = state.components[name];
      return [name, Boolean(c) && isRunning(c.pid, c.command)];
    }),
  ) as Record<ComponentName, boolean>;
}

function launch(layout: ClusterLayout, spec: ComponentSpec): ComponentState {
  const logFile = join(layout.logs, `${spec.name}.log`);
  const pid = spawnDetached({ command: spec.command, args: spec.args, logFile });
  return {
    pid,
    command: spec.command,
    args: spec.args,
    logFile,
    healthUrl: spec.healthUrl,
    startedAt: new Date().toISOString(),
  };
}

async function waitComponent(
  layout: ClusterLayout,
  name: ComponentName,
  c: ComponentState,
  timeoutMs = 90_000,
) {
  await waitHealthy(
    name,
    c.healthUrl,
    healthTls(layout, name),
    () => isRunning(c.pid, c.command),
    c.logFile,
    timeoutMs,
  );
}

async function allocatePorts(): Promise<ClusterPorts> {
  const ports = new Set<number>();
  while (ports.size < 6) ports.add(await freePort());
  const [etcd, etcdPeer, apiserver, controllerManager, scheduler, kubelet] = [...ports] as number[];
  return {
    etcd: etcd!,
    etcdPeer: etcdPeer!,
    apiserver: apiserver!,
    controllerManager: controllerManager!,
    scheduler: scheduler!,
    kubelet: kubelet!,
  };
}

async function stopAll(layout: ClusterLayout, state: ClusterState) {
  for (const name of STOP_ORDER) {
    const c = state.components[name];
    // The node needs the apiserver to record final pod states; give it time before going on.
    if (c) await stopProcess(c.pid, c.command, name === "node" ? 20_000 : 10_000);
  }
  removeState(layout);
}

async function startFresh(layout: ClusterLayout, persistent: boolean): Promise<ClusterState> {
  const binDir = binaryDir();
  ensurePki(layout.pki);
  // Containers of a cluster that died without its node stopping them must not outlive their files.
  killOrphanedContainers(layout.pods);
  for (const dir of [layout.etcdData, layout.pods]) rmSync(dir, { recursive: true, force: true });
  mkdirSync(layout.logs, { recursive: true });
  mkdirSync(join(layout.root, "kubeconfigs"), { recursive: true });
  const ports = await allocatePorts();
  const server = `https://127.0.0.1:${ports.apiserver}`;
  writeFileSync(layout.kubeconfig, kubeconfigFor(layout.pki, server, "admin"), { mode: 0o600 });
  for (const [component, cert] of [
    ["controller-manager", "controller-manager"],
    ["scheduler", "scheduler"],
    ["node", "node-client"],
  ] as const) {
    writeFileSync(layout.componentKubeconfig(component), kubeconfigFor(layout.pki, server, cert), {
      mode: 0o600,
    });
  }
  const specs = componentSpecs({
    layout,
    binDir,
    ports,
    nodeBinary: process.execPath,
    nodeScript: join(REPO_ROOT, "test", "cluster", "node", "main.ts"),
    nodeCapacity: process.env.SYNTHETIQ_NODE_CAPACITY,
  });
  const byName = Object.fromEntries(specs.map((s) => [s.name, s])) as Record<ComponentName, ComponentSpec>;
  const components = {} as Record<ComponentName, ComponentState>;
  const state: ClusterState = {
    binDir,
    ports,
    server,
    persistent,
    startedAt: new Date().toISOString(),
    components,
  };
  try {
    components.etcd = launch(layout, byName.etcd);
    writeState(layout, state);
    await waitComponent(layout, "etcd", components.etcd);
    // The node retries until the apiserver answers; the controller-manager and scheduler exit when
    // RBAC is not bootstrapped yet, so they wait for the apiserver's /readyz.
    for (const name of ["kube-apiserver", "node"] as const) components[name] = launch(layout, byName[name]);
    writeState(layout, state);
    await waitComponent(layout, "kube-apiserver", components["kube-apiserver"]);
    for (const name of ["kube-controller-manager", "kube-scheduler"] as const) {
      components[name] = launch(layout, byName[name]);
    }
    writeState(layout, state);
    await Promise.all(
      (["kube-controller-manager", "kube-scheduler", "node"] as const).map((name) =>
        waitComponent(layout, name, components[name]),
      ),
    );
    await waitNodeReady(layout, state);
    return state;
  } catch (error) {
    await stopAll(layout, state);
    throw error;
  }
}

/** The node's health endpoint answers before it registered; wait for its Ready condition. */
async function waitNodeReady(layout: ClusterLayout, state: ClusterState, timeoutMs = 60_000) {
  const node = state.components.node;
  await waitHealthy(
    "node registration",
    `${state.server}/api/v1/nodes/${NODE_NAME}`,
    adminTls(layout),
    () => isRunning(node.pid, node.command),
    node.logFile,
    timeoutMs,
  );
}

/**
 * Starts the cluster, or reuses the one already running in `layout`. A half-running cluster (a
 * component died) is stopped and started afresh.
 */
export async function startCluster(
  options: { persistent?: boolean; layout?: ClusterLayout; registerUser?: boolean } = {},
): Promise<StartedCluster> {
  const layout = options.layout ?? clusterLayout();
  return withClusterLock(layout, async () => {
    const begin = Date.now();
    if (options.registerUser) registerUser(layout);
    const existing = readState(layout);
    let reused = false;
    let state: ClusterState;
    if (existing && Object.values(runningComponents(existing)).every(Boolean)) {
      reused = true;
      state = options.persistent ? { ...existing, persistent: true } : existing;
      if (state !== existing) writeState(layout, state);
    } else {
      if (existing) await stopAll(layout, existing);
      state = await startFresh(layout, options.persistent ?? false);
    }
    return {
      layout,
      state,
      kubeconfig: layout.kubeconfig,
      kubectl: join(state.binDir, "kubectl"),
      reused,
      startMs: reused ? 0 : Date.now() - begin,
    };
  });
}

/**
 * Stops every component and removes the state file; a no-op when nothing runs. Refuses while test
 * runs are using the cluster unless `force`.
 */
export async function stopCluster(
  layout = clusterLayout(),
  options: { force?: boolean } = {},
): Promise<boolean> {
  return withClusterLock(layout, async () => {
    const state = readState(layout);
    if (!state) return false;
    const users = liveUsers(layout);
    if (users.length > 0 && !options.force) {
      throw new Error(
        `the local cluster is in use by test runs (pids ${users.join(", ")}); stop them or pass --force`,
      );
    }
    await stopAll(layout, state);
    return true;
  });
}

/**
 * For test runs: start or reuse the cluster and register this process as a user of it. Pair with
 * releaseCluster(): the last user out stops a cluster that tests started; one started by
 * `cluster:up` keeps running.
 */
export function acquireCluster(layout = clusterLayout()): Promise<StartedCluster> {
  return startCluster({ layout, registerUser: true });
}

/** Unregisters this process; stops the cluster when it was started by tests and nobody else uses it. */
export async function releaseCluster(layout = clusterLayout()): Promise<"stopped" | "left-running"> {
  return withClusterLock(layout, async () => {
    const others = unregisterUser(layout);
    const state = readState(layout);
    if (!state || state.persistent || others > 0) return "left-running";
    await stopAll(layout, state);
    return "stopped";
  });
}

function requireState(layout: ClusterLayout): ClusterState {
  const state = readState(layout);
  if (!state) throw new Error(`no local cluster in ${layout.root}: run \`npm run cluster:up\``);
  return state;
}

/**
 * Stops one component (SIGTERM, then SIGKILL after `graceMs`); its state entry stays for a
 * restart. The API server drains open watches for a long time, hence the short default grace.
 */
export async function stopComponent(name: ComponentName, layout = clusterLayout(), graceMs = 3_000) {
  await withClusterLock(layout, async () => {
    const c = requireState(layout).components[name];
    await stopProcess(c.pid, c.command, graceMs);
  });
}

/** Starts one component again with its recorded command line and waits until it is healthy. */
export async function startComponent(name: ComponentName, layout = clusterLayout()) {
  await withClusterLock(layout, async () => {
    const state = requireState(layout);
    const old = state.components[name];
    if (isRunning(old.pid, old.command)) return;
    const fresh = launch(layout, {
      name,
      command: old.command,
      args: old.args,
      healthUrl: old.healthUrl,
    });
    state.components[name] = fresh;
    writeState(layout, state);
    await waitComponent(layout, name, fresh);
  });
}

/** Stop then start: e.g. "the API server restarted mid-run". */
export async function restartComponent(name: ComponentName, layout = clusterLayout(), graceMs = 3_000) {
  await stopComponent(name, layout, graceMs);
  await startComponent(name, layout);
}

export interface ClusterStatus {
  running: boolean;
  server?: string;
  kubeconfig: string;
  persistent?: boolean;
  components: Partial<Record<ComponentName, { pid: number; running: boolean; logFile: string }>>;
}

export function clusterStatus(layout = clusterLayout()): ClusterStatus {
  const state = readState(layout);
  if (!state) return { running: false, kubeconfig: layout.kubeconfig, components: {} };
  const running = runningComponents(state);
  return {
    running: Object.values(running).every(Boolean),
    server: state.server,
    kubeconfig: layout.kubeconfig,
    persistent: state.persistent,
    components: Object.fromEntries(
      COMPONENT_NAMES.map((n) => [
        n,
        { pid: state.components[n].pid, running: running[n], logFile: state.components[n].logFile },
      ]),
    ),
  };
}
