// One pod's life on the process node, as the kubelet runs it: prepare volumes, run init containers
// in order, start the containers, restart them per restartPolicy with back-off, report every state
// change, and on deletion SIGTERM, wait the grace period, SIGKILL, report the final status and
// delete the pod object with grace 0.
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describeError, type NodeApi } from "./api.ts";
import { type ContainerProcess, type Mount, startContainerProcess } from "./container-process.ts";
import { ContainerConfigError, expandVars, resolveEnv } from "./env.ts";
import { ImageMappingError, imageRepository, mapImage, RUNNER_IMAGE_REPOSITORY } from "./images.ts";
import type { Limiter } from "./limiter.ts";
import { log } from "./log.ts";
import {
  type ContainerRecord,
  type ContainerState,
  isTerminated,
  type PodRecord,
  podPhase,
  podStatusPatch,
  rfc3339,
  terminatedState,
} from "./pod-status.ts";
import { ContainerProber } from "./probes.ts";
import type { StatusWriter } from "./status-writer.ts";
import { type PreparedVolumes, prepareVolumes } from "./volumes.ts";

/** The real image's non-root user, used when runAsNonRoot is set without runAsUser. */
const RUNNER_IMAGE_USER = 1000;
const CONFIG_RETRY_MS = 2_000;
const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
const BACKOFF_RESET_MS = 600_000;

export interface PodWorkerContext {
  api: NodeApi;
  statusWriter: StatusWriter;
  startLimiter: Limiter;
  podsDir: string;
  repoRoot: string;
  capacity: Record<string, string>;
  /** Variables every container gets (PATH with Node 24 first, KUBERNETES_SERVICE_*). */
  baseEnv: Record<string, string>;
}

export function podDirName(pod: V1Pod): string {
  return `${pod.metadata!.namespace}_${pod.metadata!.name}_${pod.metadata!.uid}`;
}

const nowIso = () => rfc3339(new Date());
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

function record(container: V1Container, state: ContainerState): ContainerRecord {
  return { name: container.name, image: container.image ?? "", state, restartCount: 0, ready: false };
}

export class PodWorker {
  pod: V1Pod;
  readonly #ctx: PodWorkerContext;
  readonly #dir: string;
  readonly #record: PodRecord;
  readonly #processes = new Map<string, ContainerProcess>();
  readonly #stop = new AbortController();
  #volumes: PreparedVolumes | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #finished = false;
  #deleted = false;
  #lastWarning = "";

  constructor(pod: V1Pod, ctx: PodWorkerContext) {
    this.pod = pod;
    this.#ctx = ctx;
    this.#dir = join(ctx.podsDir, podDirName(pod));
    const waiting: ContainerState = { waiting: { reason: "ContainerCreating" } };
    this.#record = {
      startTime: pod.status?.startTime ? new Date(pod.status.startTime).toISOString() : nowIso(),
      sandboxReady: false,
      initContainers: (pod.spec?.initContainers ?? []).map((c) =>
        record(c, { waiting: { reason: "PodInitializing" } }),
      ),
      containers: (pod.spec?.containers ?? []).map((c) => record(c, waiting)),
      stopping: false,
    };
  }

  get key() {
    return this.pod.metadata!.uid!;
  }

  get #ns() {
    return this.pod.metadata!.namespace!;
  }

  get #name() {
    return this.pod.metadata!.name!;
  }

  #fields(extra: Record<string, unknown> = {}) {
    return { pod: `${this.#ns}/${this.#name}`, uid: this.key, ...extra };
  }

  /** A retried problem is logged when it first appears or changes, not on every retry. */
  #warnOnce(msg: string, fields: Record<string, unknown>) {
    const line = JSON.stringify([msg, fields]);
    if (line === this.#lastWarning) return;
    this.#lastWarning = line;
    log("warn", msg, this.#fields(fields));
  }

  #report(): Promise<void> {
    if (this.#deleted) return Promise.resolve();
    const patch = podStatusPatch(this.pod, this.#record, new Date());
    return this.#ctx.statusWriter.update(this.key, this.#ns, this.#name, patch);
  }

  /**
   * Takes over what an earlier run of the node reported for this pod (its processes are gone):
   * finished containers keep their result, running ones are lost. No-op when none had started.
   */
  adoptPreviousRun() {
    const statuses = this.pod.status?.containerStatuses ?? [];
    if (!statuses.some((s) => s.state?.running || s.state?.terminated)) return;
    const previous = new Map(statuses.map((s) => [s.name, s]));
    // Main containers ran, so the init containers had all succeeded.
    for (const c of this.#record.initContainers) c.state = terminatedState(0, undefined, nowIso(), undefined);
    for (const c of this.#record.containers) {
      const before = previous.get(c.name);
      if (!before) continue;
      c.restartCount = before.restartCount ?? 0;
      if (before.state?.terminated) {
        c.state = terminatedState(
          before.state.terminated.exitCode,
          undefined,
          new Date(before.state.terminated.finishedAt ?? Date.now()).toISOString(),
          before.state.terminated.containerID,
        );
      } else if (before.state?.running && (this.pod.spec?.restartPolicy ?? "Always") === "Never") {
        c.state = terminatedState(137, undefined, nowIso(), before.containerID, undefined, {
          reason: "ContainerStatusUnknown",
          message: "The container could not be located when the node restarted",
        });
      } else if (before.state?.running) {
        c.restartCount++;
      }
    }
  }

  /** Runs the pod to completion (or until it is deleted). */
  async run(): Promise<void> {
    if (this.#record.containers.every((c) => this.#isDone(c))) return this.#finish();
    mkdirSync(this.#dir, { recursive: true });
    void this.#report();
    const prepared = await this.#prepare();
    if (!prepared) return this.#finish();
    this.#record.sandboxReady = true;
    void this.#report();
    const initSpecs = this.pod.spec?.initContainers ?? [];
    for (let i = 0; i < initSpecs.length; i++) {
      const c = this.#record.initContainers[i]!;
      if (isTerminated(c.state) && c.state.terminated.exitCode === 0) continue;
      const ok = await this.#runInit(initSpecs[i]!, c);
      if (!ok) return this.#finish();
    }
    const specs = this.pod.spec?.containers ?? [];
    await Promise.all(
      specs.map((spec, i) => {
        const c = this.#record.containers[i]!;
        return this.#isDone(c) ? undefined : this.#runContainer(spec, c);
      }),
    );
    await this.#finish();
  }

  async #prepare(): Promise<boolean> {
    for (let attempt = 0; !this.#stop.signal.aborted; attempt++) {
      try {
        await this.#ctx.startLimiter.run(async () => {
          this.#volumes = await this.#prepareVolumes();
        });
        this.#scheduleRefresh();
        return true;
      } catch (error) {
        const configError = error instanceof ContainerConfigError;
        const reason = configError ? "CreateContainerConfigError" : "ContainerCreating";
        const message = describeError(error);
        this.#warnOnce("pod volumes not ready", { error: message });
        for (const c of [...this.#record.initContainers, ...this.#record.containers]) {
          if (!isTerminated(c.state)) c.state = { waiting: { reason, message } };
        }
        void this.#report();
        // API errors are often the Node authorizer catching up with a just-bound pod: retry soon.
        await sleep(
          configError ? CONFIG_RETRY_MS : Math.min(CONFIG_RETRY_MS, 250 * 2 ** attempt),
          this.#stop.signal,
        );
      }
    }
    return false;
  }

  #prepareVolumes() {
    return prepareVolumes(this.pod, this.#dir, {
      ...this.#ctx.api.lookup(),
      token: (audience, seconds) => this.#ctx.api.podToken(this.pod, audience, seconds),
    });
  }

  #scheduleRefresh() {
    clearTimeout(this.#refreshTimer);
    const at = this.#volumes?.refreshAt;
    if (!at || this.#finished) return;
    this.#refreshTimer = setTimeout(
      () => {
        void this.#prepareVolumes()
          .then((v) => {
            this.#volumes = v;
            this.#scheduleRefresh();
          })
          .catch((error) =>
            log("warn", "token refresh failed", this.#fields({ error: describeError(error) })),
          );
      },
      Math.max(1_000, at.getTime() - Date.now()),
    );
    this.#refreshTimer.unref();
  }

  /** Builds a container's process spec; a configuration problem becomes its waiting reason. */
  async #launchSpec(spec: V1Container, restartCount: number) {
    const pod = this.pod;
    const env = await resolveEnv({
      pod,
      container: spec,
      lookup: this.#ctx.api.lookup(),
      base: { ...this.#ctx.baseEnv, HOSTNAME: pod.spec?.hostname ?? this.#name },
      capacity: this.#ctx.capacity,
    });
    const containerDir = join(this.#dir, spec.name);
    const scratchDir = join(this.#dir, "scratch");
    mkdirSync(containerDir, { recursive: true });
    mkdirSync(scratchDir, { recursive: true });
    const launch = mapImage(
      {
        ...spec,
        command: spec.command?.map((s) => expandVars(s, env)),
        args: spec.args?.map((s) => expandVars(s, env)),
      },
      {
        repoRoot: this.#ctx.repoRoot,
        scratchDir,
        dirExists: (p) => existsSync(p) && statSync(p).isDirectory(),
        fileExists: (p) => existsSync(p) && statSync(p).isFile(),
      },
    );
    const mounts: Mount[] = (spec.volumeMounts ?? []).map((m) => {
      const hostPath = this.#volumes?.paths.get(m.name);
      if (!hostPath)
        throw new ContainerConfigError(`volumeMount "${m.name}": no volume of that name in the pod`);
      return {
        hostPath: m.subPath ? join(hostPath, m.subPath) : hostPath,
        mountPath: m.mountPath,
        readOnly: Boolean(m.readOnly),
      };
    });
    const podSc = pod.spec?.securityContext;
    const sc = spec.securityContext;
    let uid = sc?.runAsUser ?? podSc?.runAsUser;
    const nonRoot = sc?.runAsNonRoot ?? podSc?.runAsNonRoot;
    if (uid === undefined && nonRoot) {
      if (imageRepository(spec.image ?? "") !== RUNNER_IMAGE_REPOSITORY) {
        throw new ContainerConfigError(
          `container "${spec.name}" has runAsNonRoot and image "${spec.image}" will run as root: set runAsUser`,
        );
      }
      uid = RUNNER_IMAGE_USER;
    }
    if (uid === 0 && nonRoot)
      throw new ContainerConfigError(`container "${spec.name}": runAsNonRoot with runAsUser 0`);
    const gid = sc?.runAsGroup ?? podSc?.runAsGroup ?? uid;
    const groups = [
      ...(podSc?.supplementalGroups ?? []),
      ...(podSc?.fsGroup !== undefined ? [podSc.fsGroup] : []),
    ];
    return {
      argv: launch.argv,
      cwd: launch.cwd,
      env,
      mounts,
      ...(uid !== undefined ? { uid, gid: gid ?? uid, supplementalGroups: groups } : {}),
      logFile: join(containerDir, `${restartCount}.log`),
      pidFile: join(containerDir, "pid"),
    };
  }

  /** Starts the container once; resolves with its exit, or undefined when it could not start. */
  async #startOnce(spec: V1Container, c: ContainerRecord) {
    while (!this.#stop.signal.aborted) {
      try {
        const launchSpec = await this.#launchSpec(spec, c.restartCount);
        if (this.#stop.signal.aborted) break;
        const proc = startContainerProcess(launchSpec);
        const startedAt = nowIso();
        this.#processes.set(spec.name, proc);
        c.containerID = `process://${proc.pid}`;
        c.state = { running: { startedAt } };
        c.ready = false;
        const prober = new ContainerProber(
          { container: spec, pid: proc.pid, env: launchSpec.env, uid: launchSpec.uid, gid: launchSpec.gid },
          {
            onReady: (ready) => {
              c.ready = ready;
              void this.#report();
            },
            onUnhealthy: (which) => {
              const grace = this.pod.spec?.terminationGracePeriodSeconds ?? 30;
              log(
                "info",
                `container failed its ${which} probe; killing it`,
                this.#fields({ container: spec.name }),
              );
              proc.signal("SIGTERM");
              setTimeout(() => proc.signal("SIGKILL"), grace * 1000).unref();
            },
          },
        );
        void this.#report();
        prober.start();
        const exit = await proc.exited;
        prober.stop();
        this.#processes.delete(spec.name);
        c.ready = false;
        c.state = terminatedState(exit.exitCode, startedAt, nowIso(), c.containerID);
        return exit;
      } catch (error) {
        const reason =
          error instanceof ContainerConfigError
            ? "CreateContainerConfigError"
            : error instanceof ImageMappingError
              ? "CreateContainerError"
              : "ContainerCreating";
        const message = describeError(error);
        c.state = { waiting: { reason, message } };
        this.#warnOnce("container not started", { container: spec.name, reason, error: message });
        void this.#report();
        await sleep(CONFIG_RETRY_MS, this.#stop.signal);
      }
    }
    return undefined;
  }

  async #runInit(spec: V1Container, c: ContainerRecord): Promise<boolean> {
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    for (let backoff = BACKOFF_INITIAL_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      const exit = await this.#startOnce(spec, c);
      if (!exit) return false;
      void this.#report();
      if (exit.exitCode === 0) return true;
      if (policy === "Never" || this.#stop.signal.aborted) return false;
      await this.#backOff(c, backoff);
      if (this.#stop.signal.aborted) return false;
    }
  }

  async #runContainer(spec: V1Container, c: ContainerRecord) {
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    for (let backoff = BACKOFF_INITIAL_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      const started = Date.now();
      const exit = await this.#startOnce(spec, c);
      if (!exit) return;
      // Like the kubelet: a container that ran for a while starts its back-off afresh.
      if (Date.now() - started > BACKOFF_RESET_MS) backoff = BACKOFF_INITIAL_MS;
      const restart = policy === "Always" || (policy === "OnFailure" && exit.exitCode !== 0);
      if (!restart || this.#stop.signal.aborted) {
        // Report intermediate exits now; the final one goes with the pod's terminal status.
        if (!this.#allTerminated()) void this.#report();
        return;
      }
      void this.#report();
      await this.#backOff(c, backoff);
      if (this.#stop.signal.aborted) return;
    }
  }

  /** A container that ended (before a node restart) and that restartPolicy does not restart. */
  #isDone(c: ContainerRecord) {
    if (!isTerminated(c.state)) return false;
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    return policy === "Never" || (policy === "OnFailure" && c.state.terminated.exitCode === 0);
  }

  #allTerminated() {
    return this.#record.containers.every((c) => isTerminated(c.state));
  }

  async #backOff(c: ContainerRecord, ms: number) {
    c.lastState = c.state;
    c.restartCount++;
    c.state = {
      waiting: {
        reason: "CrashLoopBackOff",
        message: `back-off ${ms / 1000}s restarting failed container=${c.name}`,
      },
    };
    void this.#report();
    await sleep(ms, this.#stop.signal);
  }

  /** Containers that never ran when the pod ended get the kubelet's ContainerStatusUnknown. */
  #markUnstarted() {
    for (const c of [...this.#record.initContainers, ...this.#record.containers]) {
      if (isTerminated(c.state)) continue;
      if ("waiting" in c.state && c.lastState && isTerminated(c.lastState)) {
        c.state = c.lastState;
        continue;
      }
      c.state = terminatedState(137, undefined, nowIso(), c.containerID, undefined, {
        reason: "ContainerStatusUnknown",
        message: "The container was not running when the pod was terminated",
      });
    }
  }

  async #finish() {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#refreshTimer);
    const phase = podPhase(this.pod.spec?.restartPolicy ?? "Always", this.#record);
    if (this.#record.stopping || phase === "Succeeded" || phase === "Failed") {
      this.#record.stopping = true;
      this.#markUnstarted();
    }
    await this.#report();
    rmSync(join(this.#dir, "volumes"), { recursive: true, force: true });
    log(
      "info",
      "pod finished",
      this.#fields({ phase: podPhase(this.pod.spec?.restartPolicy ?? "Always", this.#record) }),
    );
    if (this.pod.metadata?.deletionTimestamp) await this.#deleteObject();
  }

  async #deleteObject() {
    if (this.#deleted) return;
    this.#deleted = true;
    this.#ctx.statusWriter.forget(this.key);
    await this.#ctx.api
      .deletePod(this.#ns, this.#name, this.key)
      .catch((error) =>
        log("warn", "final pod deletion failed", this.#fields({ error: describeError(error) })),
      );
  }

  get finished() {
    return this.#finished;
  }

  /** The API server marked the pod for deletion: stop its containers within the grace period. */
  async terminate(): Promise<void> {
    if (this.#finished) return this.#deleteObject();
    if (this.#record.stopping) return;
    this.#record.stopping = true;
    const grace =
      this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    log("info", "terminating pod", this.#fields({ gracePeriodSeconds: grace }));
    this.#stop.abort();
    await this.#killAll(grace * 1000);
  }

  /** SIGTERM every container's process group, SIGKILL what is left after `graceMs`. */
  async #killAll(graceMs: number) {
    const running = [...this.#processes.values()];
    for (const proc of running) proc.signal("SIGTERM");
    const killer = setTimeout(() => {
      for (const proc of running) proc.signal("SIGKILL");
    }, graceMs);
    await Promise.all(running.map((p) => p.exited));
    clearTimeout(killer);
  }

  /** The pod object is gone (force deletion): stop at once, report nothing more, forget its files. */
  async kill() {
    this.#deleted = true;
    this.#record.stopping = true;
    this.#stop.abort();
    this.#ctx.statusWriter.forget(this.key);
    await this.#killAll(2_000);
    clearTimeout(this.#refreshTimer);
  }

  removeFiles() {
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** Log file of a container's current (or previous) run, for the kubelet API. */
  logFile(container: string, previous: boolean): string | undefined {
    const c =
      this.#record.containers.find((x) => x.name === container) ??
      this.#record.initContainers.find((x) => x.name === container);
    if (!c) return undefined;
    const run = previous ? c.restartCount - 1 : c.restartCount;
    return run < 0 ? undefined : join(this.#dir, container, `${run}.log`);
  }

  isContainerRunning(container: string) {
    return this.#processes.has(container);
  }
}
