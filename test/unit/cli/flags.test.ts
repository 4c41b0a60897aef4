// kubectl-task's command line, checked whole before any API call: every flag's value, which flags
// each command takes, and the arguments; what is wrong is a UsageError (exit 2) that names it.
import { describe, expect, test } from "vitest";
import { MAX_TIMEOUT_SECONDS, parseCommandLine, UsageError } from "../../../src/cli/flags.ts";

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`no UsageError for ${argv.join(" ")}`);
}

describe("the command line", () => {
  test("a good one gives the command, its argument and the flags' values", () => {
    expect(
      parseCommandLine([
        "submit",
        "testing.noop",
        "-o",
        "json",
        "--priority",
        "5",
        "--countdown",
        "1.5",
        "--wait",
        "--timeout",
        "0.25",
      ]),
    ).toMatchObject({
      command: "submit",
      target: "testing.noop",
      output: "json",
      priority: 5,
      countdown: 1.5,
      timeoutMs: 250,
    });
    expect(parseCommandLine(["list", "--failed", "-A"])).toMatchObject({
      command: "list",
      target: "",
      output: "table",
      listFilter: "failed",
    });
    expect(parseCommandLine(["logs", "run-1", "--attempt", "2"])).toMatchObject({ attempt: 2 });
    expect(parseCommandLine(["wait", "run-1", "--timeout", "0"])).toMatchObject({ timeoutMs: 0 });
    expect(parseCommandLine(["get", "--help"])).toBe("help");
  });

  test("an unknown option or a missing value is a usage error, not parseArgs' TypeError", () => {
    expect(usageError(["list", "--bogus"])).toContain("Unknown option '--bogus'");
    expect(usageError(["wait", "run-1", "--timeout"])).toContain("--timeout");
  });

  test("-o/--output is checked before submit creates anything", () => {
    expect(usageError(["submit", "testing.noop", "-o", "bogus"])).toBe(
      '-o/--output must be table, json or yaml, got "bogus"',
    );
  });

  test("--timeout is a number of seconds within what a timer can hold", () => {
    const accepted = `a number of seconds from 0 to ${MAX_TIMEOUT_SECONDS} (about 24 days)`;
    for (const bad of ["-1", "1e12", "abc", " ", "Infinity"]) {
      expect(usageError(["wait", "run-1", `--timeout=${bad}`])).toBe(
        `--timeout must be ${accepted}, got "${bad}"`,
      );
    }
    expect(parseCommandLine(["wait", "run-1", "--timeout", String(MAX_TIMEOUT_SECONDS)])).toMatchObject({
      timeoutMs: MAX_TIMEOUT_SECONDS * 1000,
    });
    expect(MAX_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  test("submit --timeout needs --wait", () => {
    expect(usageError(["submit", "testing.noop", "--timeout", "30"])).toContain("--timeout needs --wait");
  });

  test("an empty value is refused, not dropped (an empty idempotency key made a run that was not idempotent)", () => {
    expect(usageError(["submit", "testing.noop", "--idempotency-key", ""])).toBe(
      "--idempotency-key needs a value, got an empty string",
    );
    expect(usageError(["submit", "testing.noop", "--queue="])).toContain("--queue needs a value");
  });

  test("a flag the command does not take is named with the commands that take it", () => {
    expect(usageError(["get", "run-1", "--attempt", "2"])).toBe(
      "--attempt is not an option of get (it is one of logs)",
    );
    expect(usageError(["logs", "run-1", "-o", "json"])).toContain("--output is not an option of logs");
  });

  test("numbers, arguments and exclusive flags", () => {
    expect(usageError(["logs", "run-1", "--attempt", "0"])).toBe(
      '--attempt must be an attempt number (1, 2, ...), got "0"',
    );
    expect(usageError(["submit", "testing.noop", "--priority", "high"])).toBe(
      '--priority must be a number, got "high"',
    );
    expect(usageError(["get"])).toBe("get needs a TaskRun name");
    expect(usageError(["get", "a", "b"])).toBe("get takes one argument, a TaskRun name; unexpected: b");
    expect(usageError(["list", "x"])).toBe("list takes no arguments; unexpected: x");
    expect(usageError(["list", "--active", "--failed"])).toBe(
      "give at most one of --active, --scheduled, --failed",
    );
    expect(usageError(["submit", "t", "--input", "{}", "--input-file", "f"])).toBe(
      "give --input or --input-file, not both",
    );
    expect(usageError(["frobnicate"])).toMatch(/^unknown command "frobnicate"/);
    expect(usageError([])).toMatch(/^no command given/);
  });
});
