// `npm run cluster:up | cluster:down` and `node test/cluster/cli.ts status|restart <component>`:
// the local cluster for people. `up` is idempotent and leaves the components running after it
// exits; `down` refuses while test runs use the cluster unless --force.

import { clusterStatus, restartComponent, startCluster, stopCluster } from "./cluster.ts";
import { COMPONENT_NAMES, type ComponentName } from "./components.ts";

const USAGE = `usage: node test/cluster/cli.ts up | down [--force] | status | restart <${COMPONENT_NAMES.join("|")}>`;

async function main(command: string | undefined, args: string[]) {
  switch (command) {
    case "up": {
      const cluster = await startCluster({ persistent: true });
      const how = cluster.reused
        ? "reused the running cluster"
        : `started in ${(cluster.startMs / 1000).toFixed(1)} s`;
      process.stderr.write(`local cluster ${how}: ${cluster.state.server}\n`);
      process.stdout.write(`export KUBECONFIG=${cluster.kubeconfig}\n`);
      process.stdout.write(`alias kubectl=${cluster.kubectl}  # kubectl v1.36 built for this cluster\n`);
      return 0;
    }
    case "down": {
      const stopped = await stopCluster(undefined, { force: args.includes("--force") });
      process.stderr.write(stopped ? "local cluster stopped\n" : "no local cluster was running\n");
      return 0;
    }
    case "status": {
      const status = clusterStatus();
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return status.running ? 0 : 1;
    }
    case "restart": {
      const name = args[0] as ComponentName;
      if (!COMPONENT_NAMES.includes(name)) {
        process.stderr.write(`unknown component "${args[0] ?? ""}"; ${USAGE}\n`);
        return 2;
      }
      await restartComponent(name);
      process.stderr.write(`${name} restarted\n`);
      return 0;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

process.exitCode = await main(process.argv[2], process.argv.slice(3)).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  return 1;
});
