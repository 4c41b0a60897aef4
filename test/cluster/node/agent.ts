// The process node's pod loop: watches the pods bound to this node (list + watch, relist on 410
// Gone, reconnect with back-off) and hands each to its PodWorker; serves their logs to the API
// server; kills what a previous run of the node left behind.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig, ListWatch, type V1Pod, Watch } from "@kubernetes/client-node";
import { describeError, NodeApi, statusCode } from "./api.ts";
import type { NodeConfig } from "./config.ts";
import { startKubeletServer } from "./kubelet-server.ts";
import { Limiter } from "./limiter.ts";
import { log } from "./log.ts";
import { killOrphanedContainers } from "./orphans.ts";
import { PodWorker, type PodWorkerContext, podDirName } from "./pod-worker.ts";
import { NodeRegistration } from "./registration.ts";
import { StatusWriter } from "./status-writer.ts";

const isTerminalPhase = (pod: V1Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

export interface RunningNode {
  stop(): Promise<void>;
}

export async function runNode(
  config: NodeConfig,
  options: { repoRoot: string; nodeBinDir: string },
): Promise<RunningNode> {
  for (const pid of killOrphanedContainers(config.podsDir)) log("warn", "killed orphaned container", { pid });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(config.kubeconfig);
  const api = new NodeApi(kubeConfig);
  const workers = new Map<string, PodWorker>();
  const statusWriter = new StatusWriter({
    write: (ns, name, patch) => api.patchPodStatus(ns, name, patch),
    concurrency: config.writeConcurrency,
    isGone: (error) => statusCode(error) === 404,
    onError: (key, error) =>
      log("warn", "pod status write failed; retrying", { uid: key, error: describeError(error) }),
  });
  const ctx: PodWorkerContext = {
    api,
    statusWriter,
    startLimiter: new Limiter(config.startConcurrency),
    podsDir: config.podsDir,
    repoRoot: options.repoRoot,
    capacity: config.capacity,
    baseEnv: {
      PATH: `${options.nodeBinDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: "/root",
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: String(config.apiserverPort),
      KUBERNETES_SERVICE_PORT_HTTPS: String(config.apiserverPort),
      KUBERNETES_PORT: `tcp://127.0.0.1:${config.apiserverPort}`,
    },
  };

  const byName = (ns: string, name: string) => {
    for (const w of workers.values())
      if (w.pod.metadata?.namespace === ns && w.pod.metadata?.name === name) return w;
    return undefined;
  };
  const server = await startKubeletServer({
    port: config.kubeletPort,
    cert: readFileSync(config.tlsCertFile),
    key: readFileSync(config.tlsPrivateKeyFile),
    ca: readFileSync(config.clientCaFile),
    logs: {
      logFile: (ns, pod, container, previous) => byName(ns, pod)?.logFile(container, previous),
      isRunning: (ns, pod, container) => Boolean(byName(ns, pod)?.isContainerRunning(container)),
    },
  });

  const registration = new NodeRegistration(config, kubeConfig);
  await registration.register();
  registration.start();

  const onPod = (pod: V1Pod) => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    let worker = workers.get(uid);
    if (!worker) {
      if (isTerminalPhase(pod)) {
        // Finished before this node process started: only the final deletion is left to do.
        if (pod.metadata?.deletionTimestamp)
          void api.deletePod(pod.metadata.namespace!, pod.metadata.name!, uid);
        return;
      }
      worker = new PodWorker(pod, ctx);
      workers.set(uid, worker);
      worker.adoptPreviousRun();
      log("info", "pod bound", { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid });
      const w = worker;
      void w.run().catch((error) => log("error", "pod worker failed", { uid, error }));
    }
    worker.pod = pod;
    if (pod.metadata?.deletionTimestamp) void worker.terminate();
  };
  const onDelete = (pod: V1Pod) => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const worker = workers.get(uid);
    workers.delete(uid);
    if (worker) void worker.kill().finally(() => worker.removeFiles());
    else rmSync(join(config.podsDir, podDirName(pod)), { recursive: true, force: true });
  };

  const fieldSelector = `spec.nodeName=${config.nodeName}`;
  const informer = new ListWatch<V1Pod>(
    "/api/v1/pods",
    new Watch(kubeConfig),
    () => api.core.listPodForAllNamespaces({ fieldSelector }),
    false,
    undefined,
    fieldSelector,
  );
  let retryMs = 500;
  let stopped = false;
  informer.on("add", onPod);
  informer.on("update", (pod) => {
    retryMs = 500;
    onPod(pod);
  });
  informer.on("delete", onDelete);
  informer.on("error", (error) => {
    if (stopped) return;
    log("warn", "pod watch failed; reconnecting", { error, delayMs: retryMs });
    setTimeout(() => void informer.start().catch(() => {}), retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  });
  await informer.start();
  log("info", "node running", { node: config.nodeName, kubeletPort: config.kubeletPort });

  return {
    async stop() {
      stopped = true;
      registration.stop();
      await informer.stop();
      await Promise.all([...workers.values()].map((w) => w.kill()));
      await new Promise((r) => server.close(r));
    },
  };
}
