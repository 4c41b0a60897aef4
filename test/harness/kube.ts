// Helpers for end-to-end tests on the local cluster: clients from the injected admin kubeconfig,
// a namespace per test file (deleted afterwards), waiting for a condition with a timeout, kubectl,
// and stopping/restarting a control-plane component.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1Job,
  type V1Pod,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, inject } from "vitest";
import {
  type ComponentName,
  clusterLayout,
  restartComponent as restart,
  startComponent as start,
  stopComponent as stop,
} from "../cluster/cluster.ts";

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject("kubeconfigPath"));
  return kc;
}

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  rbac: RbacAuthorizationV1Api;
}

export function clients(kc = kubeConfig()): Clients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

/**
 * Polls until a condition holds; fails naming `what` and the last value seen. Two forms:
 * `waitFor(what, probe, timeoutMs?)` with a probe resolving true when done (like
 * harness/processes.ts), or `waitFor(what, read, done, timeoutMs?, intervalMs?)` resolving with
 * the value read.
 */
export function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs?: number): Promise<boolean>;
export function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs?: number,
  intervalMs?: number,
): Promise<T>;
export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  doneOrTimeout?: ((value: T) => boolean) | number,
  timeoutArg?: number,
  intervalMs = 250,
): Promise<T> {
  const done = typeof doneOrTimeout === "function" ? doneOrTimeout : (value: T) => value === true;
  const timeoutMs = (typeof doneOrTimeout === "number" ? doneOrTimeout : timeoutArg) ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const seen = last === undefined ? String(lastError) : JSON.stringify(last).slice(0, 2_000);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
}

export function hasCondition(
  obj: { status?: { conditions?: Array<{ type: string; status: string }> } },
  type: string,
) {
  return Boolean(obj.status?.conditions?.some((c) => c.type === type && c.status === "True"));
}

export function jobCondition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

/** Pods of a Job, by the label the job controller sets. */
export async function jobPods(core: CoreV1Api, namespace: string, jobName: string): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({
    namespace,
    labelSelector: `batch.kubernetes.io/job-name=${jobName}`,
  });
  return list.items;
}

/**
 * A fresh namespace for the calling test file (created in beforeAll once its default
 * ServiceAccount exists, deleted in afterAll). Read `.name` inside tests.
 */
export function useTestNamespace(prefix: string): { name: string } {
  const ns = { name: `${prefix}-${randomBytes(3).toString("hex")}` };
  beforeAll(async () => {
    const { core } = clients();
    await core.createNamespace({
      body: { metadata: { name: ns.name, labels: { "synthetiq.io/e2e": "true" } } },
    });
    await waitFor(
      `ServiceAccount default in namespace ${ns.name}`,
      () => core.readNamespacedServiceAccount({ name: "default", namespace: ns.name }),
      () => true,
      30_000,
    );
  });
  afterAll(async () => {
    await clients()
      .core.deleteNamespace({ name: ns.name, propagationPolicy: "Background" })
      .catch(() => {});
  });
  return ns;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the cluster's kubectl against the admin kubeconfig. */
export function kubectl(args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      inject("kubectlPath"),
      ["--kubeconfig", inject("kubeconfigPath"), ...args],
      { timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

const layout = () => clusterLayout(inject("clusterDir"));

/** Stops then starts a component (e.g. "kube-apiserver"), waiting until it is healthy again. */
export const restartComponent = (name: ComponentName) => restart(name, layout());
export const stopComponent = (name: ComponentName) => stop(name, layout());
export const startComponent = (name: ComponentName) => start(name, layout());
