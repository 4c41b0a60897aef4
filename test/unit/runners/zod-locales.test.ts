// The runner's zod locale hook (src/runners/zod-locales.ts), in a fresh Node process as main.ts
// uses it: zod loads with English messages only, and still validates and reports in English. If a
// zod upgrade moves its locale files, the first assertion fails (and the runner's start-up cost
// silently returns), so the hook is updated with zod.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const probe = `
const { loadEnglishZodLocaleOnly } = await import("./src/runners/zod-locales.ts");
if (process.argv[1] === "hook") loadEnglishZodLocaleOnly();
const { z } = await import("zod");
const issue = z.object({ email: z.email() }).safeParse({ email: 1 }).error?.issues[0];
console.log(JSON.stringify({ locales: Object.keys(z.locales), message: issue?.message, path: issue?.path }));
`;

function loadZod(mode: "hook" | "plain"): { locales: string[]; message: string; path: string[] } {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", probe, mode], {
    encoding: "utf8",
  });
  return JSON.parse(out);
}

describe("zod with English messages only (runner start-up)", () => {
  it("gives zod a locales namespace with English only, where it otherwise loads them all", () => {
    expect(loadZod("hook").locales).toEqual(["en"]);
    expect(loadZod("plain").locales.length).toBeGreaterThan(10);
  });

  it("still validates and reports in English, naming the field", () => {
    const withHook = loadZod("hook");
    expect(withHook.path).toEqual(["email"]);
    expect(withHook.message).toBe(loadZod("plain").message);
    expect(withHook.message).toMatch(/expected string/);
  });
});
