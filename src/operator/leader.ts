// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: acquire when the lease
// is free or expired, renew every retry period, give up leadership when a renewal cannot succeed
// within the renew deadline, and release the lease on shutdown so a standby takes over at once.
import type { OperatorConfig } from "./config.ts";
import type { KubeClient } from "./kube/client.ts";
import { isConflict, isNotFound } from "./kube/errors.ts";
import type { Logger } from "./log.ts";

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const microTime = (d: Date) => d.toISOString().replace("Z", "000Z");

export class LeaderElector {
  private leading = false;
  private readonly stopped = new AbortController();
  private readonly path: string;
  private readonly client: KubeClient;
  private readonly config: OperatorConfig["leaderElection"];
  private readonly log: Logger;

  constructor(client: KubeClient, config: OperatorConfig["leaderElection"], log: Logger) {
    this.client = client;
    this.config = config;
    this.log = log;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${config.namespace}/leases`;
  }

  get isLeader() {
    return this.leading;
  }

  /**
   * One acquire-or-renew step; true when we hold the lease afterwards. A renewal passes its
   * deadline: its requests are not retried past it, or a renewal throttled by the API server (up to
   * 10 Retry-After waits) could count as success after another replica took the expired lease.
   */
  async tryAcquireOrRenew(now = new Date(), deadline?: number): Promise<boolean> {
    const { identity, leaseName, leaseDurationSeconds } = this.config;
    let lease: Lease | undefined;
    try {
      lease = await this.client.get<Lease>(`${this.path}/${leaseName}`, undefined, deadline);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: microTime(now),
    };
    if (!lease) {
      try {
        await this.client.create(
          this.path,
          {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: leaseName, namespace: this.config.namespace },
            spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
          },
          deadline,
        );
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    }
    const holder = lease.spec.holderIdentity;
    const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expired =
      renewed + (lease.spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (holder && holder !== identity && !expired) return false;
    const takingOver = holder !== identity;
    try {
      await this.client.replace(
        `${this.path}/${leaseName}`,
        {
          ...lease,
          spec: {
            ...lease.spec,
            ...spec,
            ...(takingOver
              ? { acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 }
              : {}),
          },
        },
        deadline,
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Blocks until this replica leads, then keeps renewing in the background; `onLost` is called
   * (once) if leadership is lost. Resolves false if stopped before leading.
   */
  async acquire(onLost: () => void): Promise<boolean> {
    const retryMs = this.config.retryPeriodSeconds * 1000;
    while (!this.stopped.signal.aborted) {
      try {
        if (await this.tryAcquireOrRenew()) break;
      } catch (error) {
        this.log.warn("leader election: lease request failed", { error: String(error) });
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
    if (this.stopped.signal.aborted) return false;
    this.leading = true;
    this.log.info("leader election: became leader", {
      lease: this.config.leaseName,
      identity: this.config.identity,
    });
    void this.renewLoop(onLost);
    return true;
  }

  private async renewLoop(onLost: () => void) {
    const retryMs = this.config.retryPeriodSeconds * 1000;
    let lastRenew = Date.now();
    while (!this.stopped.signal.aborted) {
      await new Promise((r) => setTimeout(r, retryMs));
      if (this.stopped.signal.aborted) return;
      try {
        if (await this.tryAcquireOrRenew(new Date(), lastRenew + this.config.renewDeadlineSeconds * 1000)) {
          lastRenew = Date.now();
          continue;
        }
      } catch (error) {
        this.log.warn("leader election: renew failed", { error: String(error) });
      }
      if (Date.now() - lastRenew > this.config.renewDeadlineSeconds * 1000) {
        this.leading = false;
        this.log.error("leader election: lost the lease", { lease: this.config.leaseName });
        onLost();
        return;
      }
    }
  }

  /** Stops renewing and, if leading, releases the lease so another replica can take over now. */
  async release() {
    this.stopped.abort();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.client.get<Lease>(`${this.path}/${this.config.leaseName}`);
      if (lease.spec.holderIdentity !== this.config.identity) return;
      await this.client.replace(`${this.path}/${this.config.leaseName}`, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: microTime(new Date()),
        },
      });
    } catch (error) {
      this.log.warn("leader election: release failed", { error: String(error) });
    }
  }
}
