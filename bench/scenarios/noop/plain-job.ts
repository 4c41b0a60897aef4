// Plain Kubernetes Job baseline on the same cluster: create a Job whose container runs `true`,
// and wait (watch) until its Complete condition. No operator, no runner, no Redis: the cost of
// a pod per task and nothing else.
import { Informer } from "../../../src/operator/kube/informer.ts";
import type { Job } from "../../../src/operator/kube/objects.ts";
import type { BenchCluster } from "../../lib/cluster.ts";
import { type Contender, measureInProcess } from "./contender.ts";

const quiet = { info: () => {}, warn: (m: string, f?: object) => console.error(m, f) };

export async function startPlainJobs(bench: BenchCluster): Promise<Contender> {
  const { client, namespace } = bench;
  const waiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const jobs = new Informer<Job>(client, {
    path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
    stallMs: 90_000,
    log: quiet,
  });
  jobs.on((event, job) => {
    const waiter = waiters.get(job.metadata.name ?? "");
    if (!waiter || event === "deleted") return;
    const conditions = job.status?.conditions ?? [];
    if (conditions.some((c) => c.type === "Complete" && c.status === "True")) waiter.resolve();
    const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
    if (failed)
      waiter.reject(new Error(`Job ${job.metadata.name} failed: ${failed.reason} ${failed.message}`));
  });
  await jobs.start();
  let next = 0;
  const runOne = async () => {
    const name = `plain-${next++}`;
    const done = new Promise<void>((resolve, reject) => waiters.set(name, { resolve, reject }));
    await client.create(`/apis/batch/v1/namespaces/${namespace}/jobs`, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name, namespace },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: "Never",
            containers: [{ name: "noop", image: "bench/noop", command: ["true"] }],
          },
        },
      },
    });
    await done;
    waiters.delete(name);
  };
  return {
    processes: [...bench.controlPlane(), { label: "client (bench process)", pid: process.pid }],
    measure: (counts) => measureInProcess(runOne, counts),
    async stop() {
      jobs.stop();
    },
  };
}
