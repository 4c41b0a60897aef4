import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { builtInTasks, taskCatalogue } from "../../../src/runners/registry.ts";

describe("task registry", () => {
  it("indexes every built-in task by its Celery-compatible name", () => {
    for (const [name, definition] of builtInTasks) {
      expect(definition.name).toBe(name);
      expect(name).toMatch(/^(email|models|reports)\.[a-z_]+$/);
    }
    expect([...builtInTasks.keys()]).toEqual(
      expect.arrayContaining([
        "email.send_welcome_email",
        "email.send_order_confirmation",
        "email.send_license_email",
        "email.cleanup_expired_sessions",
      ]),
    );
  });

  it("publishes a catalogue with JSON Schemas for input validation", () => {
    const catalogue = taskCatalogue();
    expect(catalogue.map((e) => e.name)).toEqual([...builtInTasks.keys()].sort());
    const welcome = catalogue.find((e) => e.name === "email.send_welcome_email");
    expect(welcome?.queue).toBe("emails");
    expect(welcome?.inputSchema).toMatchObject({
      type: "object",
      properties: { email: { type: "string", format: "email" }, name: { type: "string" } },
      required: ["email", "name"],
    });
    expect(catalogue.find((e) => e.name === "email.cleanup_expired_sessions")?.schedule).toEqual({
      cron: "0 * * * *",
    });
    expect(catalogue.find((e) => e.name === "email.send_license_email")?.sensitiveFields).toEqual([
      "licenseKey",
    ]);
  });

  it("is cheap to import: no heavy library and never the Kubernetes client", () => {
    // Records every module the registry pulls in, CommonJS and ESM alike.
    const script = `
      import { registerHooks } from "node:module";
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
      await import("./src/runners/registry.ts");
      console.log(JSON.stringify(seen));`;
    const loaded: string[] = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })
        .trim()
        .split("\n")
        .pop() ?? "[]",
    );
    const heavy = loaded.filter((url) =>
      /\/node_modules\/(@kubernetes|nodemailer|sharp|pdfkit|@aws-sdk|pg|pg-cursor|yazl|yauzl|express)\//.test(
        url,
      ),
    );
    expect(heavy).toEqual([]);
    expect(loaded.some((url) => url.includes("/src/runners/email/"))).toBe(true);
  });
});
