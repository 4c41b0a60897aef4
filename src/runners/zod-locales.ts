// Runner start-up: zod's entry point imports all ~60 of its message locales (`z.locales`), which
// costs every runner start ~9 MB RSS and ~25 ms, yet a runner only ever uses English (zod's
// default, which zod imports on its own). This resolve hook hands zod a locales namespace with
// English only. Installed by main.ts before zod loads; the operator and tests keep the full set.
// If a zod upgrade moves the files, the hook no longer matches and nothing changes but the cost.
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

const LOCALES_INDEX = "/zod/v4/locales/index.js";

export function loadEnglishZodLocaleOnly(): void {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (!resolved.url.endsWith(LOCALES_INDEX)) return resolved;
      const english = new URL("en.js", resolved.url);
      if (!existsSync(fileURLToPath(english))) return resolved;
      const source = `export { default as en } from ${JSON.stringify(english.href)};`;
      return { ...resolved, url: `data:text/javascript,${encodeURIComponent(source)}`, shortCircuit: true };
    },
  });
}
