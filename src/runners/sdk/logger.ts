// The task logger: JSON lines on stdout, each carrying the task, the TaskRun and the attempt,
// with every field and message passed through the redactor.
import type { Redactor } from "./redact.ts";
import type { TaskLogger } from "./task.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogBindings {
  task: string;
  namespace: string;
  name: string;
  attempt: number;
}

export type LineWriter = (line: string) => void;

export const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

export function createLogger(
  bindings: LogBindings,
  redactor: Redactor,
  write: LineWriter = stdoutWriter,
): TaskLogger {
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    const extra = fields ? (redactor.value(fields) as Record<string, unknown>) : {};
    write(
      JSON.stringify({
        ...extra,
        time: new Date().toISOString(),
        level,
        msg: redactor.text(message),
        ...bindings,
      }),
    );
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
  };
}
