// Container processes left behind by a node that died without stopping them: found through the
// pid file each container writes into .cluster/pods/<pod>/<container>/pid, killed by process group.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { signalGroup } from "./container-process.ts";

const CLOCK_TICKS_PER_SECOND = 100;

/** When `pid` started (ms since epoch), or undefined when it is gone. */
function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]);
    const bootTime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    return (bootTime + startTicks / CLOCK_TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

/** Kills every recorded container process group under `podsDir`; returns the pids signalled. */
export function killOrphanedContainers(podsDir: string): number[] {
  const killed: number[] = [];
  let pods: string[] = [];
  try {
    pods = readdirSync(podsDir);
  } catch {
    return killed;
  }
  for (const pod of pods) {
    let containers: string[] = [];
    try {
      containers = readdirSync(join(podsDir, pod));
    } catch {
      continue;
    }
    for (const container of containers) {
      try {
        const pidFile = join(podsDir, pod, container, "pid");
        const pid = Number(readFileSync(pidFile, "utf8"));
        const started = pid > 0 ? processStart(pid) : undefined;
        // A process that started after the pid file was written is a reused pid, not our container.
        if (started === undefined || started > statSync(pidFile).mtimeMs + 1_000) continue;
        if (signalGroup(pid, "SIGKILL")) killed.push(pid);
      } catch {}
    }
  }
  return killed;
}
