// A fresh, migrated CDP schema per test file on the shared test Postgres, so report tests never
// see other files' rows. The pool's search_path points at the schema.
import pg from "pg";
import { migrate } from "../../../src/runners/cdp/migrate.ts";

export interface CdpSchema {
  schema: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createCdpSchema(databaseUrl: string, prefix: string): Promise<CdpSchema> {
  const schema = `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e6)}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: databaseUrl, options: `-c search_path=${schema}`, max: 4 });
  await migrate(pool);
  return {
    schema,
    pool,
    async drop() {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    },
  };
}
