// A tiny migration runner for the CDP database: applies the numbered .sql files of a folder in
// order (001_..., 002_...), each in its own transaction, records them in schema_migrations, and
// holds an advisory lock so that concurrent runners apply each file once.
// CLI: `DATABASE_URL=postgres://... node src/runners/cdp/migrate.ts`
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Pool } from "pg";

export const MIGRATIONS_DIR = join(import.meta.dirname, "migrations");

/** An arbitrary constant: the advisory lock every migration runner of this project takes. */
const LOCK_ID = 727_364_110;

export interface Migration {
  version: number;
  name: string;
  file: string;
}

/** The numbered .sql files of `dir`, ordered by their number; refuses duplicates. */
export async function listMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations = (await readdir(dir)).flatMap((name) => {
    const match = /^(\d+)_[\w.-]+\.sql$/.exec(name);
    return match ? [{ version: Number(match[1]), name, file: join(dir, name) }] : [];
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]?.version === migrations[i - 1]?.version) {
      throw new Error(
        `two migrations share number ${migrations[i]?.version}: ${migrations[i - 1]?.name} and ${migrations[i]?.name}`,
      );
    }
  }
  return migrations;
}

/** Applies the migrations not yet recorded; returns the names of those applied now. */
export async function migrate(pool: Pool, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await listMigrations(dir);
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [LOCK_ID]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      const sql = await readFile(migration.file, "utf8");
      try {
        await client.query("BEGIN");
        await client.query(sql);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
          migration.version,
          migration.name,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(
          `migration ${migration.name} failed: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_ID]).catch(() => {});
    client.release();
  }
}

if (import.meta.main) {
  const { readRunnerConfig } = await import("../config.ts");
  const url = readRunnerConfig(process.env).database.url;
  if (!url) {
    console.error(JSON.stringify({ level: "error", msg: "DATABASE_URL is not set" }));
    process.exit(2);
  }
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const applied = await migrate(pool);
    console.log(JSON.stringify({ level: "info", msg: "migrations applied", applied }));
  } finally {
    await pool.end();
  }
}
