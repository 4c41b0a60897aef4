// Real Redis and Postgres for tests, on loopback, each in its own temporary directory.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, HARNESS_DIR, type ManagedProcess, startProcess, waitFor } from "./processes.ts";

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function startRedis(options: { password?: string } = {}): Promise<RunningService> {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  if (options.password) args.push("--requirepass", options.password);
  const proc = startProcess(`redis-${port}`, "redis-server", args);
  await waitFor(`redis on port ${port}`, () => tcpOpen(port), 15_000, proc.logFile);
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  return { url: `redis://${auth}127.0.0.1:${port}`, stop: () => proc.stop() };
}

function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error("PostgreSQL is not installed: run `bash scripts/dev.sh setup`");
  return join(root, versions[0]!, "bin");
}

/** Starts a throw-away Postgres cluster. As root, it runs as the `postgres` system user. */
export async function startPostgres(): Promise<RunningService> {
  const bin = postgresBinDir();
  mkdirSync(HARNESS_DIR, { recursive: true });
  const dir = mkdtempSync(join(HARNESS_DIR, "pg-"));
  const dataDir = join(dir, "data");
  const port = await freePort();
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
    ids = { uid, gid };
  }
  execFileSync(
    join(bin, "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
    { ...ids, stdio: "pipe" },
  );
  const proc: ManagedProcess = startProcess(
    `postgres-${port}`,
    join(bin, "postgres"),
    [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-h",
      "127.0.0.1",
      "-k",
      dir,
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
    ],
    ids,
  );
  await waitFor(`postgres on port ${port}`, () => tcpOpen(port), 30_000, proc.logFile);
  // The TCP port opens slightly before the server accepts queries.
  await waitFor(
    "postgres to accept connections",
    async () => {
      try {
        execFileSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)], { stdio: "pipe" });
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    proc.logFile,
  );
  execFileSync(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "cdp"], {
    stdio: "pipe",
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/cdp`,
    async stop() {
      await proc.stop("SIGINT");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
