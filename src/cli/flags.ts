// The command line of kubectl-task, checked whole before any API call: the command and its one
// argument, which flags the command takes, and every flag's value. Anything wrong is a UsageError
// (exit 2): a flag that was ignored or checked only after a TaskRun was created did harm before.
import { parseArgs } from "node:util";
import type { ListFilter } from "./views.ts";

export const USAGE = `kubectl task — submit and watch TaskRuns (tasks.synthetiq.io)

Commands:
  submit TASK [--input JSON | --input-file FILE] [--queue Q] [--priority N] [--countdown SECONDS]
              [--idempotency-key KEY] [--wait [--timeout SECONDS]]
  get NAME                     status (and result, with Redis) of one TaskRun
  list [--active|--scheduled|--failed] [-A]
  logs NAME [--attempt N]      pod logs of the latest (or the given) attempt
  wait NAME [--timeout SECONDS]   exit 0 when it succeeded, 1 when it ended otherwise or timed out
  cancel NAME
  retry NAME                   a new TaskRun with the task and input of a Failed/Expired/Cancelled one

Flags: --kubeconfig PATH, --context NAME, -n/--namespace NS, -o/--output table|json|yaml (not for logs),
       --redis-url URL (default $REDIS_URL)`;

export const OPTIONS = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  namespace: { type: "string", short: "n" },
  "all-namespaces": { type: "boolean", short: "A" },
  output: { type: "string", short: "o" },
  "redis-url": { type: "string" },
  input: { type: "string" },
  "input-file": { type: "string" },
  queue: { type: "string" },
  priority: { type: "string" },
  countdown: { type: "string" },
  "idempotency-key": { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  attempt: { type: "string" },
  active: { type: "boolean" },
  scheduled: { type: "boolean" },
  failed: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionName = keyof typeof OPTIONS;

export type Flags = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>["values"];

export class UsageError extends Error {}

/** Each command's argument (what `need` names when it is missing), or none. */
const ARGUMENT = {
  submit: "a task name (e.g. email.send_welcome_email)",
  get: "a TaskRun name",
  list: undefined,
  logs: "a TaskRun name",
  wait: "a TaskRun name",
  cancel: "a TaskRun name",
  retry: "a TaskRun name",
} as const;

export type Command = keyof typeof ARGUMENT;

/** Flags every command takes: where the cluster and Redis are, and --help. */
const GLOBAL_OPTIONS: readonly OptionName[] = ["kubeconfig", "context", "namespace", "redis-url", "help"];

/** The other flags, by the commands that use them. */
const COMMAND_OPTIONS: Record<Command, readonly OptionName[]> = {
  submit: [
    "output",
    "input",
    "input-file",
    "queue",
    "priority",
    "countdown",
    "idempotency-key",
    "wait",
    "timeout",
  ],
  get: ["output"],
  list: ["output", "active", "scheduled", "failed", "all-namespaces"],
  logs: ["attempt"],
  wait: ["output", "timeout"],
  cancel: ["output"],
  retry: ["output"],
};

/** "wide" is accepted as kubectl users type it; it is the same table. */
const OUTPUT_FORMATS = ["table", "wide", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The longest --timeout: Node's timers hold at most 2^31-1 ms. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export interface CommandLine {
  command: Command;
  /** The task name (submit) or the TaskRun name; "" for list. */
  target: string;
  /** The raw flags, every one of them checked. */
  flags: Flags;
  output: OutputFormat;
  priority?: number;
  countdown?: number;
  /** --timeout in milliseconds. */
  timeoutMs?: number;
  attempt?: number;
  listFilter?: ListFilter;
}

const isCommand = (name: string): name is Command => Object.hasOwn(ARGUMENT, name);

/** parseArgs reports an unknown option or a missing value as a TypeError with one of these codes. */
const isParseArgsError = (error: unknown): error is TypeError =>
  error instanceof TypeError && String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_");

/** A numeric flag's value, or a UsageError that says what the flag accepts. */
function numberFlag(
  flags: Flags,
  name: "priority" | "countdown" | "timeout" | "attempt",
  accepted: string,
  check: (value: number) => boolean = () => true,
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  // Number(" ") is 0: a blank value is not a number.
  if (raw.trim() === "" || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${name} must be ${accepted}, got "${raw}"`);
  }
  return value;
}

/** `kubectl task ...`'s arguments, checked; "help" when the usage was asked for. */
export function parseCommandLine(argv: readonly string[]): CommandLine | "help" {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    if (isParseArgsError(error)) {
      throw new UsageError(`${error.message}\n(kubectl task --help lists the commands and their options)`);
    }
    throw error;
  }
  const { values: flags, positionals } = parsed;
  if (flags.help) return "help";
  const [command, target, ...extra] = positionals;
  if (command === undefined) throw new UsageError(`no command given\n\n${USAGE}`);
  if (!isCommand(command)) throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);

  const argument = ARGUMENT[command];
  if (argument !== undefined && target === undefined) throw new UsageError(`${command} needs ${argument}`);
  const unexpected = argument === undefined ? positionals.slice(1) : extra;
  if (unexpected.length > 0) {
    throw new UsageError(
      `${command} takes ${argument === undefined ? "no arguments" : `one argument, ${argument}`}; ` +
        `unexpected: ${unexpected.join(" ")}`,
    );
  }

  for (const name of Object.keys(flags) as OptionName[]) {
    if (GLOBAL_OPTIONS.includes(name) || COMMAND_OPTIONS[command].includes(name)) continue;
    const users = (Object.keys(COMMAND_OPTIONS) as Command[]).filter((c) =>
      COMMAND_OPTIONS[c].includes(name),
    );
    throw new UsageError(`--${name} is not an option of ${command} (it is one of ${users.join(", ")})`);
  }
  for (const [name, value] of Object.entries(flags)) {
    // An empty value was dropped as if the flag were absent (an empty --idempotency-key made a run
    // that was not idempotent).
    if (value === "") throw new UsageError(`--${name} needs a value, got an empty string`);
  }

  const output = flags.output ?? "table";
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    throw new UsageError(`-o/--output must be table, json or yaml, got "${output}"`);
  }
  if (flags.input !== undefined && flags["input-file"] !== undefined) {
    throw new UsageError("give --input or --input-file, not both");
  }
  if (command === "submit" && flags.timeout !== undefined && !flags.wait) {
    throw new UsageError("--timeout needs --wait: submit waits for the run only with --wait");
  }
  const filters = (["active", "scheduled", "failed"] as const).filter((f) => flags[f]);
  if (filters.length > 1) throw new UsageError("give at most one of --active, --scheduled, --failed");

  const timeout = numberFlag(
    flags,
    "timeout",
    `a number of seconds from 0 to ${MAX_TIMEOUT_SECONDS} (about 24 days)`,
    (seconds) => seconds >= 0 && seconds <= MAX_TIMEOUT_SECONDS,
  );
  const attempt = numberFlag(
    flags,
    "attempt",
    "an attempt number (1, 2, ...)",
    (n) => Number.isInteger(n) && n >= 1,
  );
  // Their ranges are the TaskRun schema's, checked by the SDK with the input (options.priority).
  const priority = numberFlag(flags, "priority", "a number");
  const countdown = numberFlag(flags, "countdown", "a number of seconds");

  return {
    command,
    target: target ?? "",
    flags,
    output: output as OutputFormat,
    ...(priority === undefined ? {} : { priority }),
    ...(countdown === undefined ? {} : { countdown }),
    ...(timeout === undefined ? {} : { timeoutMs: Math.round(timeout * 1000) }),
    ...(attempt === undefined ? {} : { attempt }),
    ...(filters[0] === undefined ? {} : { listFilter: filters[0] }),
  };
}
