// The node's presence in the cluster: its Node object (capacity, Ready condition, addresses,
// kubelet endpoint) and the Lease in kube-node-lease that the node-lifecycle controller watches.
import { release } from "node:os";
import {
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
  V1MicroTime,
  type V1Node,
} from "@kubernetes/client-node";
import { describeError, statusCode } from "./api.ts";
import type { NodeConfig } from "./config.ts";
import { log } from "./log.ts";
import { NODE_IP } from "./pod-status.ts";

export const KUBELET_VERSION = process.env.K8S_VERSION ?? "v1.36.3";
const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;
const STATUS_MS = 60_000;

/** The Node's status as the kubelet reports it (pure). */
export function nodeStatus(config: NodeConfig, now: Date) {
  const at = now.toISOString();
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  });
  return {
    capacity: config.capacity,
    allocatable: config.capacity,
    conditions: [
      cond(
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
      ),
      cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
      cond("Ready", "True", "KubeletReady", "process node is posting ready status"),
    ],
    addresses: [
      { type: "InternalIP", address: NODE_IP },
      { type: "Hostname", address: config.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: config.kubeletPort } },
    nodeInfo: {
      machineID: "",
      systemUUID: "",
      bootID: "",
      kernelVersion: release(),
      osImage: "process node (local processes)",
      containerRuntimeVersion: "process://0.1.0",
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: "",
      operatingSystem: "linux",
      architecture: process.arch === "x64" ? "amd64" : process.arch,
    },
  };
}

export class NodeRegistration {
  readonly #config: NodeConfig;
  readonly #core: CoreV1Api;
  readonly #coordination: CoordinationV1Api;
  #timers: NodeJS.Timeout[] = [];
  #nodeUid = "";

  constructor(config: NodeConfig, kubeConfig: KubeConfig) {
    this.#config = config;
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#coordination = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  /** Creates the Node (or takes over an existing one) and reports its status; retries until it works. */
  async register() {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        const name = this.#config.nodeName;
        const node: V1Node = {
          metadata: {
            name,
            labels: {
              "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64",
            },
          },
        };
        let created: V1Node;
        try {
          created = await this.#core.createNode({ body: node });
        } catch (error) {
          if (statusCode(error) !== 409) throw error;
          created = await this.#core.readNode({ name });
        }
        this.#nodeUid = created.metadata!.uid!;
        await this.#patchStatus();
        await this.#renewLease();
        log("info", "node registered", { node: name });
        return;
      } catch (error) {
        log("warn", "node registration failed; retrying", { error, delayMs: delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  start() {
    const every = (ms: number, fn: () => Promise<void>, what: string) => {
      const timer = setInterval(
        () => fn().catch((error) => log("warn", `${what} failed`, { error: describeError(error) })),
        ms,
      );
      this.#timers.push(timer);
    };
    every(RENEW_MS, () => this.#renewLease(), "lease renewal");
    every(STATUS_MS, () => this.#patchStatus(), "node status update");
  }

  stop() {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  async #patchStatus() {
    await this.#core.patchNodeStatus(
      { name: this.#config.nodeName, body: { status: nodeStatus(this.#config, new Date()) } },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
  }

  async #renewLease() {
    const name = this.#config.nodeName;
    const namespace = "kube-node-lease";
    const renewTime = new V1MicroTime();
    try {
      const lease = await this.#coordination.readNamespacedLease({ name, namespace });
      lease.spec = { ...lease.spec, holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime };
      await this.#coordination.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
      const lease: V1Lease = {
        metadata: {
          name,
          namespace,
          ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: this.#nodeUid }],
        },
        spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime },
      };
      await this.#coordination.createNamespacedLease({ namespace, body: lease });
    }
  }
}
