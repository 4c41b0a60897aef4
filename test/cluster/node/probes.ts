// Container probes as the kubelet runs them: startup, readiness and liveness, each httpGet,
// tcpSocket or exec (inside the container's mount namespace), with initialDelaySeconds,
// periodSeconds, timeoutSeconds, successThreshold and failureThreshold.
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { V1Container, V1Probe } from "@kubernetes/client-node";

export interface ProbeTarget {
  container: V1Container;
  pid: number;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

function portOf(container: V1Container, port: number | string): number {
  if (typeof port === "number" || /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`probe port "${port}" is not a named port of container "${container.name}"`);
  return named.containerPort;
}

function httpProbe(probe: V1Probe, target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const get = probe.httpGet!;
  const https = get.scheme === "HTTPS";
  const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
  return new Promise((resolve) => {
    const options = {
      host: get.host ?? "127.0.0.1",
      port: portOf(target.container, get.port),
      path: get.path ?? "/",
      headers: { "user-agent": "kube-probe/1.36", ...headers },
      timeout: timeoutMs,
      rejectUnauthorized: false,
    };
    const req = https ? httpsRequest(options) : httpRequest(options);
    req.once("response", (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
    req.end();
  });
}

function tcpProbe(probe: V1Probe, target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({
      host: probe.tcpSocket!.host ?? "127.0.0.1",
      port: portOf(target.container, probe.tcpSocket!.port),
      timeout: timeoutMs,
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

function execProbe(probe: V1Probe, target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  const user =
    target.uid === undefined
      ? []
      : ["setpriv", `--reuid=${target.uid}`, `--regid=${target.gid ?? target.uid}`, "--clear-groups", "--"];
  const argv = [
    "nsenter",
    `--target=${target.pid}`,
    "--mount",
    "--",
    ...user,
    ...(probe.exec?.command ?? []),
  ];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: target.env, stdio: "ignore", timeout: timeoutMs });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) return await httpProbe(probe, target, timeoutMs);
    if (probe.tcpSocket) return await tcpProbe(probe, target, timeoutMs);
    if (probe.exec) return await execProbe(probe, target, timeoutMs);
  } catch {
    return false;
  }
  // gRPC probes are not run by the process node: they count as passing.
  return true;
}

export interface ProberEvents {
  /** Readiness changed (startup passed and readiness passing, or not). */
  onReady(ready: boolean): void;
  /** Startup or liveness failed failureThreshold times: the kubelet kills the container. */
  onUnhealthy(which: "startup" | "liveness"): void;
}

/** Runs a container's probes until stop(); without a readinessProbe the container is ready once started. */
export class ContainerProber {
  readonly #target: ProbeTarget;
  readonly #events: ProberEvents;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;
  #started = false;
  #ready = false;

  constructor(target: ProbeTarget, events: ProberEvents) {
    this.#target = target;
    this.#events = events;
  }

  start() {
    const { startupProbe } = this.#target.container;
    if (startupProbe) this.#loop(startupProbe, "startup");
    else this.#afterStartup();
  }

  stop() {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #afterStartup() {
    this.#started = true;
    const { readinessProbe, livenessProbe } = this.#target.container;
    if (readinessProbe) this.#loop(readinessProbe, "readiness");
    else this.#setReady(true);
    if (livenessProbe) this.#loop(livenessProbe, "liveness");
  }

  #setReady(ready: boolean) {
    if (this.#stopped || ready === this.#ready) return;
    this.#ready = ready;
    this.#events.onReady(ready);
  }

  #loop(probe: V1Probe, kind: "startup" | "readiness" | "liveness") {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    let failures = 0;
    let successes = 0;
    const tick = async () => {
      if (this.#stopped) return;
      const ok = await runProbe(probe, this.#target);
      if (this.#stopped) return;
      if (ok) {
        failures = 0;
        successes++;
      } else {
        successes = 0;
        failures++;
      }
      if (kind === "startup") {
        if (ok) return this.#afterStartup();
        if (failures >= failureThreshold) return this.#events.onUnhealthy("startup");
      } else if (kind === "readiness") {
        if (successes >= successThreshold) this.#setReady(true);
        if (failures >= failureThreshold) this.#setReady(false);
      } else if (failures >= failureThreshold) {
        return this.#events.onUnhealthy("liveness");
      }
      this.#schedule(tick, period);
    };
    this.#schedule(tick, (probe.initialDelaySeconds ?? 0) * 1000);
  }

  #schedule(fn: () => Promise<void>, ms: number) {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void fn();
    }, ms);
    this.#timers.add(timer);
  }

  get started() {
    return this.#started;
  }
}
