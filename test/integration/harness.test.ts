import { Redis } from "ioredis";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";

describe("test harness services", () => {
  it("provides a real Redis that stores and expires keys", async () => {
    const redis = new Redis(inject("redisUrl"));
    await redis.set("harness:probe", "1", "PX", 2000);
    expect(await redis.get("harness:probe")).toBe("1");
    const ttl = await redis.pttl("harness:probe");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
    await redis.pexpire("harness:probe", 1);
    // Expired keys go on access: poll briefly rather than sleep a fixed time on a loaded machine.
    for (let i = 0; i < 100 && (await redis.get("harness:probe")) !== null; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await redis.get("harness:probe")).toBeNull();
    redis.disconnect();
  });

  it("provides a real Postgres with the cdp database", async () => {
    const pool = new pg.Pool({ connectionString: inject("databaseUrl") });
    const { rows } = await pool.query<{ db: string }>("select current_database() as db");
    expect(rows[0]?.db).toBe("cdp");
    await pool.end();
  });
});
