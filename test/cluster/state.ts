// The cluster's state file (.cluster/state.json: ports, pids and command lines of each component)
// and the lock that serialises starting, stopping and restarting across processes.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterPorts, ComponentName } from "./components.ts";
import type { ClusterLayout } from "./layout.ts";

export interface ComponentState {
  pid: number;
  command: string;
  args: string[];
  logFile: string;
  healthUrl: string;
  startedAt: string;
}

export interface ClusterState {
  binDir: string;
  ports: ClusterPorts;
  server: string;
  /** Started by `cluster:up`: test runs reuse it and never stop it. */
  persistent: boolean;
  startedAt: string;
  components: Record<ComponentName, ComponentState>;
}

export function readState(layout: ClusterLayout): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(layout.stateFile, "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

export function writeState(layout: ClusterLayout, state: ClusterState) {
  const tmp = `${layout.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, layout.stateFile);
}

export function removeState(layout: ClusterLayout) {
  rmSync(layout.stateFile, { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` holding the cluster lock (a directory: mkdir is atomic). A lock whose owner died is
 * taken over; waiting longer than `timeoutMs` fails naming the owner.
 */
export async function withClusterLock<T>(layout: ClusterLayout, fn: () => Promise<T>, timeoutMs = 600_000) {
  mkdirSync(layout.root, { recursive: true });
  const ownerFile = join(layout.lockDir, "owner");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(layout.lockDir);
      writeFileSync(ownerFile, String(process.pid));
      break;
    } catch {
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(ownerFile, "utf8"));
      } catch {}
      if (Number.isInteger(owner) && !pidAlive(owner)) {
        rmSync(layout.lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`cluster lock ${layout.lockDir} still held by pid ${owner} after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(layout.lockDir, { recursive: true, force: true });
  }
}

/** Test runs using the cluster register here so that the last one out stops a cluster it started. */
export function registerUser(layout: ClusterLayout, pid = process.pid) {
  mkdirSync(layout.usersDir, { recursive: true });
  writeFileSync(join(layout.usersDir, String(pid)), "");
}

/** Pids of live registered users (entries of dead ones are removed). */
export function liveUsers(layout: ClusterLayout): number[] {
  mkdirSync(layout.usersDir, { recursive: true });
  const live: number[] = [];
  for (const entry of readdirSync(layout.usersDir)) {
    if (pidAlive(Number(entry))) live.push(Number(entry));
    else rmSync(join(layout.usersDir, entry), { force: true });
  }
  return live;
}

/** Unregisters `pid`; returns how many other live users remain. */
export function unregisterUser(layout: ClusterLayout, pid = process.pid): number {
  mkdirSync(layout.usersDir, { recursive: true });
  rmSync(join(layout.usersDir, String(pid)), { force: true });
  return liveUsers(layout).length;
}
