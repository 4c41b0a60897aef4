// CPU time and resident memory of the processes a benchmark involves, read from /proc while it
// runs: each watched process with (optionally) all its descendants, e.g. the process node and the
// runner pods it spawns, or a Celery worker and its prefork children.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const PAGE_BYTES = Number(execFileSync("getconf", ["PAGESIZE"]).toString().trim()) || 4096;

export interface WatchedProcess {
  label: string;
  pid: number;
  /** Count its descendants too (live ones sampled; reaped ones through cutime/cstime). */
  descendants?: boolean;
}

export interface ProcessUsage {
  label: string;
  pid: number;
  /** CPU seconds (user + system) used during the window, descendants included when watched. */
  cpuSeconds: number;
  /** Highest sampled RSS, summed over the process and its live descendants. */
  peakRssMb: number;
  /** Highest number of processes alive at once in the watched tree. */
  peakProcesses: number;
}

interface Stat {
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
  rssBytes: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): field 3 is index 0.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const n = (i: number) => Number(f[i]);
  return { ppid: n(1), ticks: n(11) + n(12) + n(13) + n(14), rssBytes: n(21) * PAGE_BYTES };
}

function allStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat) stats.set(pid, stat);
  }
  return stats;
}

/** The pid's tree (itself first) within one snapshot of /proc. */
function tree(root: number, stats: Map<number, Stat>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i] ?? -1) ?? []));
  return out;
}

interface Sample {
  ticks: number;
  rssBytes: number;
  processes: number;
}

function sample(watched: WatchedProcess, stats: Map<number, Stat> | undefined): Sample | undefined {
  const pids = watched.descendants && stats ? tree(watched.pid, stats) : [watched.pid];
  let ticks = 0;
  let rssBytes = 0;
  let processes = 0;
  for (const pid of pids) {
    const stat = stats?.get(pid) ?? readStat(pid);
    if (!stat) continue;
    ticks += stat.ticks;
    rssBytes += stat.rssBytes;
    processes++;
  }
  return processes === 0 ? undefined : { ticks, rssBytes, processes };
}

/** Samples the watched processes every `intervalMs` from start() until stop(). */
export class ProcessSampler {
  private readonly first = new Map<string, Sample>();
  private readonly last = new Map<string, Sample>();
  private readonly peak = new Map<string, { rssBytes: number; processes: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly watched: readonly WatchedProcess[];
  private readonly intervalMs: number;

  constructor(watched: readonly WatchedProcess[], intervalMs = 250) {
    this.watched = watched;
    this.intervalMs = intervalMs;
  }

  start(): this {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): ProcessUsage[] {
    clearInterval(this.timer);
    this.tick();
    return this.watched.map((w) => {
      const first = this.first.get(w.label);
      const last = this.last.get(w.label);
      const peak = this.peak.get(w.label);
      return {
        label: w.label,
        pid: w.pid,
        cpuSeconds: first && last ? round((last.ticks - first.ticks) / TICKS_PER_SECOND, 2) : Number.NaN,
        peakRssMb: peak ? round(peak.rssBytes / 1024 / 1024, 1) : Number.NaN,
        peakProcesses: peak?.processes ?? 0,
      };
    });
  }

  private tick() {
    const stats = this.watched.some((w) => w.descendants) ? allStats() : undefined;
    for (const w of this.watched) {
      const s = sample(w, stats);
      if (!s) continue;
      if (!this.first.has(w.label)) this.first.set(w.label, s);
      this.last.set(w.label, s);
      const peak = this.peak.get(w.label) ?? { rssBytes: 0, processes: 0 };
      this.peak.set(w.label, {
        rssBytes: Math.max(peak.rssBytes, s.rssBytes),
        processes: Math.max(peak.processes, s.processes),
      });
    }
  }
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
