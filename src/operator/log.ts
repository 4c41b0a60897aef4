// JSON-lines logging for the operator: one object per line with time, level, message and fields
// (namespace/name/attempt of the TaskRun when there is one). Never given secret values.
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  with(fields: Record<string, unknown>): Logger;
}

export function jsonLogger(
  write: (line: string) => void = (l) => process.stdout.write(l),
  base: Record<string, unknown> = {},
  debug = false,
): Logger {
  const emit = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (level === "debug" && !debug) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields })}\n`);
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    with: (fields) => jsonLogger(write, { ...base, ...fields }, debug),
  };
}
