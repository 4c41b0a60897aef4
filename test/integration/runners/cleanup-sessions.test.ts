// email.cleanup_expired_sessions on a real Postgres: the sessions table comes from the repo's
// migration, applied by the migration runner into a schema of this test's own. The bundled migration
// CLI (dist/cdp-migrate.js) finds the .sql files the build copies beside it.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { builtEntry } from "../../../scripts/build.ts";
import { MIGRATIONS_DIR, migrate } from "../../../src/runners/cdp/migrate.ts";
import { cleanupExpiredSessions } from "../../../src/runners/email/cleanup-sessions.ts";
import { runAttemptInProcess } from "../../../src/runners/sdk/in-process.ts";

const schema = `runners_sessions_${process.pid}`;
let databaseUrl: string;
let pool: pg.Pool;
let migrationsDir: string;

beforeAll(async () => {
  const admin = new pg.Pool({ connectionString: inject("databaseUrl") });
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(inject("databaseUrl"));
  url.searchParams.set("options", `-c search_path=${schema}`);
  databaseUrl = url.toString();
  pool = new pg.Pool({ connectionString: databaseUrl, max: 6 });
  // Only this issue's migration: the other families' files are tested by their own suites.
  migrationsDir = mkdtempSync(join(tmpdir(), "migrations-"));
  copyFileSync(join(MIGRATIONS_DIR, "001_sessions.sql"), join(migrationsDir, "001_sessions.sql"));
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
  rmSync(migrationsDir, { recursive: true, force: true });
});

describe("CDP migrations", () => {
  it("apply each file once even when runners start together", async () => {
    const results = await Promise.all([
      migrate(pool, migrationsDir),
      migrate(pool, migrationsDir),
      migrate(pool, migrationsDir),
    ]);
    expect(results.flat()).toEqual(["001_sessions.sql"]);
    const { rows } = await pool.query("SELECT version, name FROM schema_migrations");
    expect(rows).toEqual([{ version: 1, name: "001_sessions.sql" }]);
    expect(await migrate(pool, migrationsDir)).toEqual([]);
  });

  it("are applied by the bundled CLI (node dist/cdp-migrate.js), all of them", async () => {
    const bundleSchema = `${schema}_bundle`;
    await pool.query(`DROP SCHEMA IF EXISTS ${bundleSchema} CASCADE; CREATE SCHEMA ${bundleSchema}`);
    try {
      const url = new URL(inject("databaseUrl"));
      url.searchParams.set("options", `-c search_path=${bundleSchema}`);
      const { stdout } = await promisify(execFile)(process.execPath, [builtEntry("cdp-migrate")], {
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: url.toString() },
      });
      const expected = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith(".sql"));
      expect(JSON.parse(stdout)).toMatchObject({ msg: "migrations applied", applied: expected.sort() });
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${bundleSchema} CASCADE`);
    }
  });
});

describe("email.cleanup_expired_sessions", () => {
  // Its own sessions table, whether or not the migration tests above ran first (migrate is idempotent).
  beforeAll(() => migrate(pool, migrationsDir));

  it("deletes every expired session in bounded batches, keeps live ones, and reports progress", async () => {
    await pool.query("TRUNCATE sessions");
    await pool.query(
      `INSERT INTO sessions (user_id, token_hash, created_at, expires_at)
       SELECT g, 'expired-' || g, now() - interval '2 days', now() - (g || ' seconds')::interval
       FROM generate_series(1, 12345) AS g`,
    );
    await pool.query(
      `INSERT INTO sessions (user_id, token_hash, expires_at)
       SELECT g, 'live-' || g, now() + interval '1 hour' FROM generate_series(1, 1000) AS g`,
    );

    const lines: string[] = [];
    const { record, exitCode } = await runAttemptInProcess(
      cleanupExpiredSessions,
      { batchSize: 1000 },
      { redisUrl: inject("redisUrl"), databaseUrl, writeLog: (line) => lines.push(line) },
    );

    expect(exitCode).toBe(0);
    expect(record.output).toMatchObject({ deleted: 12345, batches: 13 });
    const { rows } = await pool.query<{ live: string; expired: string }>(
      `SELECT count(*) FILTER (WHERE expires_at >= now()) AS live, count(*) FILTER (WHERE expires_at < now()) AS expired FROM sessions`,
    );
    expect(rows[0]).toEqual({ live: "1000", expired: "0" });
    expect(record.progress).toMatchObject({
      fraction: 1,
      message: "deleted 12345 of 12345 expired sessions",
    });
    const progress = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "progress");
    expect(progress).toHaveLength(13);
    expect(progress[0]).toMatchObject({
      fraction: 1000 / 12345,
      task: "email.cleanup_expired_sessions",
      attempt: 1,
    });
  });

  it("with nothing expired, deletes nothing and succeeds", async () => {
    await pool.query("DELETE FROM sessions WHERE expires_at < now()");
    const { record, exitCode } = await runAttemptInProcess(
      cleanupExpiredSessions,
      {},
      { redisUrl: inject("redisUrl"), databaseUrl },
    );
    expect(exitCode).toBe(0);
    expect(record.output).toMatchObject({ deleted: 0, batches: 0 });
  });

  it("declares its hourly schedule", () => {
    expect(cleanupExpiredSessions.schedule).toEqual({ cron: "0 * * * *" });
  });
});
