// Detached component processes: started so that they outlive whoever starts them (the CLI exits,
// the cluster keeps running), found again by pid from any process, stopped with SIGTERM then
// SIGKILL, and probed for health over HTTP(S).
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request } from "node:https";

export interface Launch {
  command: string;
  args: string[];
  logFile: string;
}

/** Starts a process in its own session with output appended to its log file; returns its pid. */
export function spawnDetached({ command, args, logFile }: Launch): number {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${command} (see ${logFile})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True when `pid` is alive, not a zombie, and still runs `command` (pids get reused). */
export function isRunning(pid: number, command: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
    return argv0 === command;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, up to `graceMs` to exit, then SIGKILL. Returns once the process is gone. */
export async function stopProcess(pid: number, command: string, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid, command)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(pid, command)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        return;
      }
    }
    await sleep(50);
  }
}

export interface TlsClient {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** GET `url`; resolves with the status code, or rejects when nothing answers. */
export function probe(url: string, tls: TlsClient = {}, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = { timeout: timeoutMs, ...tls, rejectUnauthorized: Boolean(tls.ca) };
    const req = url.startsWith("https:") ? request(url, options) : httpRequest(url, { timeout: timeoutMs });
    req.once("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("timeout", () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.once("error", reject);
    req.end();
  });
}

/** Polls until `url` answers 200, `isAlive()` turns false (fail fast), or the timeout passes. */
export async function waitHealthy(
  what: string,
  url: string,
  tls: TlsClient,
  isAlive: () => boolean,
  logFile: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${what} exited during start-up; see ${logFile}`);
    try {
      const status = await probe(url, tls);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw new Error(`${what} not healthy at ${url} after ${timeoutMs} ms (${last}); see ${logFile}`);
}
