import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedCdp } from "../../../src/runners/cdp/seed.ts";
import { type CdpSchema, createCdpSchema } from "./cdp-database.ts";

let db: CdpSchema;
beforeAll(async () => {
  db = await createCdpSchema(inject("databaseUrl"), "seed");
});
afterAll(() => db?.drop());

describe("the CDP seed", () => {
  it("creates consistent orders whose totals are the sum of their lines' net and per-rate tax", async () => {
    const counts = await seedCdp(db.pool, {
      users: 200,
      models: 20,
      orders: 2000,
      from: new Date("2024-03-01T00:00:00Z"),
      to: new Date("2024-04-01T00:00:00Z"),
    });
    expect(counts.users).toBe(200);
    expect(counts.models).toBe(20);
    expect(counts.orders).toBe(2000);
    expect(counts.orderLines).toBeGreaterThanOrEqual(2000);
    expect(counts.refunds).toBeGreaterThan(0);
    expect(counts.licenses).toBeGreaterThan(0);
    expect(counts.modelAnalyticsDaily).toBe(20 * 31);
    const { rows } = await db.pool.query(`
      SELECT count(*)::int AS bad FROM orders o
      JOIN (SELECT order_id, sum(net) AS net, sum(round(net * tax_rate_bp / 10000.0)) AS tax
            FROM (SELECT order_id, tax_rate_bp, sum(quantity * unit_price_minor) AS net FROM order_lines GROUP BY 1, 2) r
            GROUP BY order_id) l ON l.order_id = o.id
      WHERE o.subtotal_minor <> l.net OR o.tax_minor <> l.tax`);
    expect(rows[0].bad).toBe(0);
    // A second run appends rather than clashing.
    const again = await seedCdp(db.pool, {
      users: 10,
      models: 2,
      orders: 50,
      from: new Date("2024-03-01Z"),
      to: new Date("2024-03-02Z"),
    });
    expect(again.orders).toBe(50);
    expect(again.users).toBe(10);
  });
});
