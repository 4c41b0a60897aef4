// Long-lived demo processes, detached from the demo command: started with their output in
// logs/<name>.log and their pid (plus the command, to never signal a reused pid) in pids/<name>.pid.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { paths } from "./state.ts";

const pidFile = (name: string) => join(paths.pids, `${name}.pid`);
export const logFile = (name: string) => join(paths.logs, `${name}.log`);

export interface DetachedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

export function startDetached(name: string, command: string, args: string[], options: DetachedOptions = {}) {
  mkdirSync(paths.logs, { recursive: true });
  mkdirSync(paths.pids, { recursive: true });
  const log = openSync(logFile(name), "a");
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", log, log],
    env: options.env ?? process.env,
    cwd: options.cwd,
    uid: options.uid,
    gid: options.gid,
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command}); see ${logFile(name)}`);
  child.unref();
  writeFileSync(pidFile(name), `${child.pid}\n${command}\n`);
  return child.pid;
}

/** The pid of a demo process that is still alive and still runs the command it was started with. */
export function runningPid(name: string): number | undefined {
  if (!existsSync(pidFile(name))) return undefined;
  const [pidText, command = ""] = readFileSync(pidFile(name), "utf8").split("\n");
  const pid = Number(pidText);
  try {
    // Some servers rewrite their title (redis-server shows "redis-server 127.0.0.1:PORT").
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]?.split(" ")[0] ?? "";
    return basename(argv0) === basename(command) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Gone, or a zombie waiting for a parent that may never reap it (PID 1 in a container). */
function exited(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? true;
  } catch {
    return true;
  }
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; returns whether it was running. */
export async function stopDetached(name: string, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000) {
  const pid = runningPid(name);
  rmSync(pidFile(name), { force: true });
  if (pid === undefined) return false;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (exited(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, "SIGKILL");
  return true;
}
