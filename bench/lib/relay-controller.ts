// The least a TaskRun → Job controller can do, as the lower bound of bench/operator-burst.ts: watch
// TaskRuns and create a minimal Job for each new one, with no validation, no status and no queue.
// Whatever it measures on this cluster, no operator can beat. Runs as its own process, like the
// operator, so that it competes for the same CPU; on SIGTERM it prints, as one JSON object, when
// each Job's create call was answered (epoch milliseconds, by Job name).
//   node bench/lib/relay-controller.ts KUBECONFIG NAMESPACE
import { KubeClient } from "../../src/operator/kube/client.ts";
import { minimalJob } from "./minimal-job.ts";

const [kubeconfig, namespace] = process.argv.slice(2);
if (!kubeconfig || !namespace) throw new Error("usage: relay-controller.ts KUBECONFIG NAMESPACE");
const client = KubeClient.load(kubeconfig);
const taskRuns = `/apis/tasks.synthetiq.io/v1alpha1/namespaces/${namespace}/taskruns`;
const jobs = `/apis/batch/v1/namespaces/${namespace}/jobs`;
const answered: Record<string, number> = {};
const stopping = new AbortController();

process.once("SIGTERM", () => {
  stopping.abort();
  process.stdout.write(`${JSON.stringify(answered)}\n`, () => process.exit(0));
});

const { metadata } = await client.list<{ metadata: { resourceVersion: string } }>(taskRuns);
process.stderr.write("relay ready\n");
await client
  .watch(
    taskRuns,
    { resourceVersion: metadata.resourceVersion },
    (event) => {
      const name = (event.object as { metadata?: { name?: string } }).metadata?.name;
      if (event.type !== "ADDED" || !name) return;
      const job = `${name}-a1`;
      client.create(jobs, minimalJob(namespace, job, { bench: "relay" })).then(
        () => (answered[job] = performance.timeOrigin + performance.now()),
        (error: unknown) => process.stderr.write(`relay: ${String(error)}\n`),
      );
    },
    stopping.signal,
  )
  .catch((error: unknown) => {
    if (!stopping.signal.aborted) throw error;
  });
