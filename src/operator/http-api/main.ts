// The HTTP API as its own process (its own Deployment, or beside the operator): `node dist/http-api.js`
// (this file bundled by scripts/build.ts) with HTTP_API_* variables (see docs/http-api.md).
import { jsonLogger } from "../log.ts";
import { taskApiConfigFromEnv } from "./config.ts";
import { startTaskApi } from "./server.ts";

const log = jsonLogger(undefined, { component: "http-api" });
const api = await startTaskApi(taskApiConfigFromEnv(process.env), { log });
log.info("listening", { url: api.url });
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info("stopping", { signal });
    void api.close().then(() => process.exit(0));
  });
}
