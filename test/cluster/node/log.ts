// JSON-line logging for the process node (its stdout goes to .cluster/logs/node.log).
export type LogFields = Record<string, unknown>;

export function log(level: "info" | "warn" | "error", msg: string, fields: LogFields = {}) {
  const line = { time: new Date().toISOString(), level, msg, ...fields };
  process.stdout.write(`${JSON.stringify(line, (_k, v) => (v instanceof Error ? v.message : v))}\n`);
}
