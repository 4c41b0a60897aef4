// One container as a local process: its own mount namespace (`unshare -m`, private propagation)
// with the pod's volumes bind-mounted at their mountPath, its own session/process group (signals
// go to the whole group), the uid/gid of its securityContext, and stdout/stderr in a log file.
import { spawn } from "node:child_process";
import { closeSync, openSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";

export interface Mount {
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
}

export interface ContainerProcessSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  mounts: Mount[];
  uid?: number;
  gid?: number;
  supplementalGroups?: number[];
  logFile: string;
  pidFile: string;
}

export interface ContainerExit {
  exitCode: number;
  signal?: NodeJS.Signals;
}

export interface ContainerProcess {
  pid: number;
  exited: Promise<ContainerExit>;
  /** Signals the container's whole process group; false when it is already gone. */
  signal(signal: NodeJS.Signals): boolean;
}

// Runs inside the new mount namespace: bind mounts, cd, drop to the container's user, exec.
// Positional arguments: uid gid groups cwd, then (src dst ro|rw)... --, then the command.
// Every source, the working directory and the PATH's directories are opened before anything is
// mounted, and bound from /proc/self/fd: a volume at /tmp must not hide a source, a working
// directory or a Node.js that lives under /tmp (a checkout, the cluster's own directory, a cache
// there). A volume mounted exactly at one of those paths replaces it, as in a real container.
const MOUNT_AND_EXEC = `set -e
uid=$1 gid=$2 groups=$3 cwd=$4; shift 4
srcs=() dsts=() modes=() fds=()
while [ "$1" != "--" ]; do srcs+=("$1"); dsts+=("$2"); modes+=("$3"); shift 3; done
shift
for i in "\${!srcs[@]}"; do exec {fd}<"\${srcs[$i]}"; fds+=("$fd"); done
keeps=() keepfds=()
IFS=: read -ra pathdirs <<< "$PATH"
for k in "$cwd" "\${pathdirs[@]}"; do
  if [ -d "$k" ]; then exec {fd}<"$k"; keeps+=("$k"); keepfds+=("$fd"); fi
done
for i in "\${!srcs[@]}"; do
  src=/proc/self/fd/\${fds[$i]} dst=\${dsts[$i]}
  if [ -d "$src" ]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; [ -e "$dst" ] || : > "$dst"; fi
  mount --no-canonicalize --bind "$src" "$dst" || { echo "process-node: cannot mount \${srcs[$i]} at $dst" >&2; exit 125; }
  if [ "\${modes[$i]}" = ro ]; then mount -o remount,bind,ro "$dst"; fi
done
for i in "\${!keeps[@]}"; do
  k=\${keeps[$i]} kfd=/proc/self/fd/\${keepfds[$i]} replaced=""
  for d in "\${dsts[@]}"; do if [ "$d" = "$k" ]; then replaced=1; fi; done
  if [ -z "$replaced" ] && ! [ "$k" -ef "$kfd" ]; then
    mkdir -p "$k" && mount --no-canonicalize --bind "$kfd" "$k"
  fi
done
cd "$cwd"
for fd in "\${fds[@]}" "\${keepfds[@]}"; do exec {fd}<&-; done
if [ -n "$uid" ]; then
  if [ -n "$groups" ]; then exec setpriv --reuid="$uid" --regid="$gid" --groups="$groups" -- "$@"; fi
  exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
fi
exec "$@"`;

/** The argv that runs `spec` (pure). */
export function containerArgv(spec: ContainerProcessSpec): string[] {
  const uid = spec.uid === undefined ? "" : String(spec.uid);
  const gid = spec.uid === undefined ? "" : String(spec.gid ?? spec.uid);
  const groups = (spec.supplementalGroups ?? []).join(",");
  const mounts = spec.mounts.flatMap((m) => [m.hostPath, m.mountPath, m.readOnly ? "ro" : "rw"]);
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "--",
    "/bin/bash",
    "-c",
    MOUNT_AND_EXEC,
    "container-init",
    uid,
    gid,
    groups,
    spec.cwd,
    ...mounts,
    "--",
    ...spec.argv,
  ];
}

export function startContainerProcess(spec: ContainerProcessSpec): ContainerProcess {
  const [command, ...args] = containerArgv(spec);
  const fd = openSync(spec.logFile, "a");
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(command!, args, { env: spec.env, detached: true, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once("error", () => resolve({ exitCode: 128 }));
    child.once("exit", (code, signal) => {
      // Like a container's cgroup: whatever the main process left behind goes with it.
      if (child.pid) signalGroup(child.pid, "SIGKILL");
      rmSync(spec.pidFile, { force: true });
      if (signal) resolve({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ exitCode: code ?? 128 });
    });
  });
  const pid = child.pid ?? -1;
  if (pid > 0) writeFileSync(spec.pidFile, String(pid));
  return { pid, exited, signal: (sig) => pid > 0 && signalGroup(pid, sig) };
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
