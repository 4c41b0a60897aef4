// A wrong input to the typed enqueue does not compile: tsc is run on a small file that passes a
// misspelt field, and must fail naming that field; the same file with the right field compiles.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const root = resolve(import.meta.dirname, "../../..");
const tsc = join(root, "node_modules/.bin/tsc");
let dir: string;

function source(field: string): string {
  return `import type { TaskClient } from ${JSON.stringify(join(root, "src/sdk/index.ts"))};
export async function send(tasks: TaskClient) {
  await tasks.enqueue("email.send_welcome_email", { ${field}: "ada@example.com", name: "Ada" });
}
`;
}

async function typecheck(name: string, text: string): Promise<{ code: number; output: string }> {
  const file = join(dir, `${name}.mts`);
  await writeFile(file, text);
  const config = join(dir, `${name}.tsconfig.json`);
  await writeFile(
    config,
    JSON.stringify({
      extends: join(root, "tsconfig.json"),
      compilerOptions: { typeRoots: [join(root, "node_modules/@types")] },
      include: [file],
    }),
  );
  return new Promise((done) => {
    execFile(process.execPath, [tsc, "-p", config], { timeout: 90_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe("typed enqueue", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sdk-types-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a misspelt input field is a compile error naming the field", { timeout: 120_000 }, async () => {
    const wrong = await typecheck("wrong", source("emial"));
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toContain("wrong.mts(3,");
    expect(wrong.output).toMatch(/emial/);
  });

  test("the correct input compiles", { timeout: 120_000 }, async () => {
    const right = await typecheck("right", source("email"));
    expect(right.output).toBe("");
    expect(right.code).toBe(0);
  });
});
