// Entry point of the process node (started by test/cluster/cluster.ts as the `node` component):
// `node test/cluster/node/main.ts --node-name=... --kubeconfig=... --apiserver-port=... ...`.
// SIGTERM stops its containers and exits.
import { dirname } from "node:path";
import { REPO_ROOT } from "../layout.ts";
import { runNode } from "./agent.ts";
import { parseNodeConfig } from "./config.ts";
import { log } from "./log.ts";

const config = parseNodeConfig(process.argv.slice(2));
const node = await runNode(config, { repoRoot: REPO_ROOT, nodeBinDir: dirname(process.execPath) });

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log("info", "node stopping", { signal });
    void node.stop().finally(() => process.exit(0));
  });
}
