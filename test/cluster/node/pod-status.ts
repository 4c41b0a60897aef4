// Pod status as the kubelet reports it, computed from what the node knows about the pod's
// processes (pure: runtime record + current pod + clock in, status patch out). The patch is a
// strategic merge patch: conditions merge by type (the scheduler's PodScheduled and a
// controller's DisruptionTarget are kept), container states carry explicit nulls so that
// `running` is replaced by `terminated` rather than merged with it.
import type { V1Pod } from "@kubernetes/client-node";

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt?: string;
        finishedAt: string;
        containerID?: string;
      };
    };

export interface ContainerRecord {
  name: string;
  image: string;
  state: ContainerState;
  lastState?: ContainerState;
  restartCount: number;
  containerID?: string;
  ready: boolean;
}

export interface PodRecord {
  startTime?: string;
  /** Volumes prepared: the kubelet's PodReadyToStartContainers. */
  sandboxReady: boolean;
  initContainers: ContainerRecord[];
  containers: ContainerRecord[];
  /** The pod is being deleted or has finished: no container restarts any more. */
  stopping: boolean;
}

export const NODE_IP = "127.0.0.1";

export function isTerminated(
  state: ContainerState,
): state is Extract<ContainerState, { terminated: unknown }> {
  return "terminated" in state;
}

const isRunningState = (s: ContainerState) => "running" in s;

export function initialized(record: PodRecord): boolean {
  return record.initContainers.every((c) => isTerminated(c.state) && c.state.terminated.exitCode === 0);
}

/** The kubelet's phase rules, restricted to what a process node can observe. */
export function podPhase(
  restartPolicy: string,
  record: PodRecord,
): "Pending" | "Running" | "Succeeded" | "Failed" {
  const initFailed = record.initContainers.some(
    (c) =>
      isTerminated(c.state) &&
      c.state.terminated.exitCode !== 0 &&
      (restartPolicy === "Never" || record.stopping),
  );
  if (initFailed) return "Failed";
  if (!initialized(record)) return record.stopping && record.containers.length === 0 ? "Failed" : "Pending";
  const states = record.containers.map((c) => c.state);
  if (states.length > 0 && states.every(isTerminated)) {
    const failed = states.some((s) => isTerminated(s) && s.terminated.exitCode !== 0);
    if (restartPolicy === "Never" || record.stopping) return failed ? "Failed" : "Succeeded";
    if (restartPolicy === "OnFailure" && !failed) return "Succeeded";
    return "Running";
  }
  if (states.some(isRunningState) || record.containers.some((c) => c.restartCount > 0)) return "Running";
  return "Pending";
}

/**
 * A timestamp as the API wants it. Objects from a list call carry Dates, from a watch strings;
 * String(date) would give a format the API server rejects.
 */
export function rfc3339(value: Date | string): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function condition(
  pod: V1Pod,
  type: string,
  status: boolean,
  now: string,
  reason?: string,
  message?: string,
): Record<string, string | null> {
  const previous = pod.status?.conditions?.find((c) => c.type === type);
  const value = status ? "True" : "False";
  const lastTransitionTime =
    previous && previous.status === value && previous.lastTransitionTime
      ? rfc3339(previous.lastTransitionTime)
      : now;
  return {
    type,
    status: value,
    lastProbeTime: null,
    lastTransitionTime,
    reason: reason ?? null,
    message: message ?? null,
  };
}

/** Every state key present, absent ones null: a strategic merge patch replaces, never merges, states. */
function stateForPatch(state: ContainerState | undefined) {
  return {
    waiting: state && "waiting" in state ? state.waiting : null,
    running: state && "running" in state ? state.running : null,
    terminated: state && "terminated" in state ? state.terminated : null,
  };
}

function containerStatus(c: ContainerRecord) {
  return {
    name: c.name,
    image: c.image,
    imageID: c.image,
    containerID: c.containerID ?? null,
    ready: c.ready,
    started: isRunningState(c.state),
    restartCount: c.restartCount,
    state: stateForPatch(c.state),
    lastState: c.lastState ? stateForPatch(c.lastState) : {},
  };
}

export interface PodStatusPatch {
  status: Record<string, unknown> & { phase: string };
}

export function podStatusPatch(pod: V1Pod, record: PodRecord, now: Date): PodStatusPatch {
  const at = rfc3339(now);
  const phase = podPhase(pod.spec?.restartPolicy ?? "Always", record);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const notInitialized = record.initContainers.filter(
    (c) => !(isTerminated(c.state) && c.state.terminated.exitCode === 0),
  );
  const unready = record.containers.filter((c) => !c.ready).map((c) => c.name);
  const ready = !terminal && unready.length === 0 && record.containers.length > 0;
  const notReadyReason = terminal ? "PodCompleted" : "ContainersNotReady";
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(" ")}]`;
  const isInit = notInitialized.length === 0;
  return {
    status: {
      phase,
      conditions: [
        condition(pod, "PodReadyToStartContainers", record.sandboxReady && !terminal, at),
        condition(
          pod,
          "Initialized",
          isInit,
          at,
          isInit ? (terminal ? "PodCompleted" : undefined) : "ContainersNotInitialized",
          isInit
            ? undefined
            : `containers with incomplete status: [${notInitialized.map((c) => c.name).join(" ")}]`,
        ),
        condition(
          pod,
          "ContainersReady",
          ready,
          at,
          ready ? undefined : notReadyReason,
          ready ? undefined : notReadyMessage,
        ),
        condition(
          pod,
          "Ready",
          ready,
          at,
          ready ? undefined : notReadyReason,
          ready ? undefined : notReadyMessage,
        ),
      ],
      hostIP: NODE_IP,
      hostIPs: [{ ip: NODE_IP }],
      podIP: NODE_IP,
      podIPs: [{ ip: NODE_IP }],
      startTime: record.startTime ?? null,
      initContainerStatuses: record.initContainers.length ? record.initContainers.map(containerStatus) : null,
      containerStatuses: record.containers.map(containerStatus),
    },
  };
}

/** A terminated state with the kubelet's reasons: Completed for 0, Error otherwise. */
export function terminatedState(
  exitCode: number,
  startedAt: string | undefined,
  finishedAt: string,
  containerID: string | undefined,
  signal?: number,
  reasonOverride?: { reason: string; message: string },
): ContainerState {
  return {
    terminated: {
      exitCode,
      ...(signal ? { signal } : {}),
      reason: reasonOverride?.reason ?? (exitCode === 0 ? "Completed" : "Error"),
      ...(reasonOverride ? { message: reasonOverride.message } : {}),
      ...(startedAt ? { startedAt } : {}),
      finishedAt,
      ...(containerID ? { containerID } : {}),
    },
  };
}
