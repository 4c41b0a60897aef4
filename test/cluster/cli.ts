// `npm run cluster:up | cluster:down` and `node test/cluster/cli.ts status`: the local cluster for
// people. `up` is idempotent and leaves the components running after it exits.
import { clusterStatus, startCluster, stopCluster } from "./cluster.ts";

const USAGE = "usage: node test/cluster/cli.ts up|down|status";

async function main(command: string | undefined) {
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
      const stopped = await stopCluster();
      process.stderr.write(stopped ? "local cluster stopped\n" : "no local cluster was running\n");
      return 0;
    }
    case "status": {
      const status = clusterStatus();
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return status.running ? 0 : 1;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

process.exitCode = await main(process.argv[2]);
