// Seeds the CDP database with realistic, reproducible data of a chosen size (after applying the
// migrations). Usage:
//   DATABASE_URL=postgres://... node scripts/seed-cdp.ts [--users 10000] [--models 500] [--orders 100000]
//       [--from 2024-01-01] [--to 2025-01-01] [--seed 0.42]
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../src/runners/cdp/migrate.ts";
import { seedCdp } from "../src/runners/cdp/seed.ts";
import { readRunnerConfig } from "../src/runners/config.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "10000" },
    models: { type: "string", default: "500" },
    orders: { type: "string", default: "100000" },
    from: { type: "string", default: "2024-01-01" },
    to: { type: "string", default: "2025-01-01" },
    seed: { type: "string", default: "0.42" },
  },
});

function count(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${value}"`);
  return n;
}

function date(name: string, value: string): Date {
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`--${name} must be a date YYYY-MM-DD, got "${value}"`);
  return d;
}

const url = readRunnerConfig(process.env).database.url;
if (!url) {
  console.error(JSON.stringify({ level: "error", msg: "DATABASE_URL is not set" }));
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url, max: 2 });
try {
  const applied = await migrate(pool);
  const started = performance.now();
  const counts = await seedCdp(pool, {
    users: count("users", values.users),
    models: count("models", values.models),
    orders: count("orders", values.orders),
    from: date("from", values.from),
    to: date("to", values.to),
    seed: Number(values.seed),
    onStep: (statement, ms) =>
      console.log(JSON.stringify({ level: "debug", msg: "seed step", statement, ms: Math.round(ms) })),
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  console.log(
    JSON.stringify({
      level: "info",
      msg: "CDP database seeded",
      migrationsApplied: applied,
      inserted: counts,
      seconds,
    }),
  );
} finally {
  await pool.end();
}
