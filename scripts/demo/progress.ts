// Step lines with timings for the demo: "▸ what" while it runs, then "✓ what  1.2 s  detail".
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Runs one step; its return value's `detail` (if a string) is shown after the timing. */
export async function step<T>(
  what: string,
  run: () => Promise<T>,
  detail?: (value: T) => string,
): Promise<T> {
  const begin = Date.now();
  process.stdout.write(`${dim("▸")} ${what}\n`);
  try {
    const value = await run();
    const extra = detail ? `  ${dim(detail(value))}` : "";
    process.stdout.write(`${bold("✓")} ${what}  ${dim(seconds(Date.now() - begin))}${extra}\n`);
    return value;
  } catch (error) {
    process.stdout.write(`✗ ${what}  ${seconds(Date.now() - begin)}\n`);
    throw error;
  }
}

export function heading(text: string) {
  process.stdout.write(`\n${bold(text)}\n`);
}

export function line(text = "") {
  process.stdout.write(`${text}\n`);
}
