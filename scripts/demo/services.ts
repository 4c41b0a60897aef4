// The services around the cluster, each a detached process on 127.0.0.1 that a second run reuses:
// Redis (results), Postgres with the seeded CDP database, the mail catcher and Prometheus.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { stringify } from "yaml";
import { migrate } from "../../src/runners/cdp/migrate.ts";
import { seedCdp } from "../../src/runners/cdp/seed.ts";
import { REPO_ROOT } from "../../test/cluster/layout.ts";
import { tcpOpen } from "../../test/harness/services.ts";
import { logFile, runningPid, startDetached } from "./processes.ts";
import { type DemoState, paths } from "./state.ts";

export type Outcome = "started" | "reused";

async function waitUntil(what: string, name: string, probe: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await probe().catch(() => false);
    // Alive after the probe too: a server that lost its port to another process exits at once.
    if (runningPid(name) === undefined) throw new Error(`${what} exited; see ${logFile(name)}`);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; see ${logFile(name)}`);
}

export const redisUrl = (state: DemoState) => `redis://127.0.0.1:${state.ports.redis}`;
export const databaseUrl = (state: DemoState) => `postgres://postgres@127.0.0.1:${state.ports.postgres}/cdp`;

export async function ensureRedis(state: DemoState): Promise<Outcome> {
  if (runningPid("redis")) return "reused";
  mkdirSync(paths.redis, { recursive: true });
  startDetached("redis", "redis-server", [
    "--port",
    String(state.ports.redis),
    "--bind",
    "127.0.0.1",
    "--requirepass",
    state.redisPassword,
    "--dir",
    paths.redis,
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await waitUntil("redis", "redis", () => tcpOpen(state.ports.redis));
  return "started";
}

function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions[0]) throw new Error("PostgreSQL is not installed: run `bash scripts/dev.sh setup`");
  return join(root, versions[0], "bin");
}

/** As root, Postgres runs as the `postgres` system user. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  return {
    uid: Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
  };
}

/** Postgres on a persistent data directory, with the CDP schema migrated and seeded once. */
export async function ensurePostgres(state: DemoState): Promise<Outcome> {
  if (runningPid("postgres")) return "reused";
  const bin = postgresBin();
  const ids = postgresUser();
  const dataDir = join(paths.postgres, "data");
  mkdirSync(paths.postgres, { recursive: true });
  if (ids.uid !== undefined) chownSync(paths.postgres, ids.uid, ids.gid ?? ids.uid);
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    execFileSync(
      join(bin, "initdb"),
      ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
      { ...ids, stdio: "pipe" },
    );
  }
  startDetached(
    "postgres",
    join(bin, "postgres"),
    ["-D", dataDir, "-p", String(state.ports.postgres), "-h", "127.0.0.1", "-k", paths.postgres],
    ids,
  );
  await waitUntil("postgres", "postgres", async () => {
    execFileSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(state.ports.postgres)], {
      stdio: "pipe",
    });
    return true;
  });
  const admin = new pg.Client({ connectionString: databaseUrl(state).replace(/\/cdp$/, "/postgres") });
  await admin.connect();
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'cdp'");
  if (rowCount === 0) await admin.query("CREATE DATABASE cdp");
  await admin.end();
  return "started";
}

/** Migrations, then (once) a year of seeded CDP data: users, models, orders, refunds, analytics. */
export async function ensureSeeded(state: DemoState): Promise<string> {
  const pool = new pg.Pool({ connectionString: databaseUrl(state), max: 2 });
  try {
    await migrate(pool);
    const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM orders");
    if (Number(rows[0]?.n) > 0) return `${rows[0]?.n} orders already there`;
    const counts = await seedCdp(pool, {
      users: 2_000,
      models: 100,
      orders: 20_000,
      from: new Date("2024-01-01T00:00:00Z"),
      to: new Date("2025-01-01T00:00:00Z"),
    });
    return `${counts.users} users, ${counts.models} models, ${counts.orders} orders in 2024`;
  } finally {
    await pool.end();
  }
}

export async function ensureMailCatcher(state: DemoState): Promise<Outcome> {
  if (runningPid("mail-catcher")) return "reused";
  startDetached(
    "mail-catcher",
    process.execPath,
    [
      join(REPO_ROOT, "scripts", "demo", "mail-catcher.ts"),
      String(state.ports.smtp),
      String(state.ports.mailWeb),
      paths.mails,
    ],
    { cwd: REPO_ROOT },
  );
  await waitUntil("the mail catcher", "mail-catcher", async () => {
    return (await tcpOpen(state.ports.smtp)) && (await fetch(`http://127.0.0.1:${state.ports.mailWeb}/`)).ok;
  });
  return "started";
}

/** Prometheus scraping the operator pod (job="synthetiq-tasks-operator") with the chart's alert rules. */
export async function ensurePrometheus(state: DemoState): Promise<Outcome> {
  if (runningPid("prometheus")) return "reused";
  mkdirSync(paths.prometheus, { recursive: true });
  const config = join(paths.prometheus, "prometheus.yml");
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: "5s", evaluation_interval: "5s" },
      rule_files: [join(REPO_ROOT, "monitoring", "prometheus", "rules.yaml")],
      scrape_configs: [
        {
          job_name: "synthetiq-tasks-operator",
          static_configs: [{ targets: [`127.0.0.1:${state.ports.operator}`] }],
        },
      ],
    }),
  );
  startDetached("prometheus", "prometheus", [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(paths.prometheus, "data")}`,
    `--web.listen-address=127.0.0.1:${state.ports.prometheus}`,
    "--storage.tsdb.retention.time=2d",
  ]);
  await waitUntil("prometheus", "prometheus", async () => {
    return (await fetch(`http://127.0.0.1:${state.ports.prometheus}/-/ready`)).ok;
  });
  return "started";
}
