// The HTTP API as its own process (its own Deployment, or beside the operator): `node dist/http-api.js`
// (this file bundled by scripts/build.ts) with HTTP_API_* variables (see docs/http-api.md).
import { taskApiConfigFromEnv } from "./config.ts";
import { startTaskApi } from "./server.ts";

const log = (message: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "info", component: "http-api", message, ...fields })}\n`,
  );

const api = await startTaskApi(taskApiConfigFromEnv(process.env));
log("listening", { url: api.url });
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log("stopping", { signal });
    void api.close().then(() => process.exit(0));
  });
}
