// The control plane itself: the real version, a Ready node renewing its Lease, and pods surviving
// an API server restart mid-run (the node's watch reconnects and reports the outcome).
import { CoordinationV1Api, VersionApi } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import {
  clients,
  hasCondition,
  jobCondition,
  kubectl,
  restartComponent,
  useTestNamespace,
  waitFor,
} from "../../harness/kube.ts";
import { nodeJob } from "./builders.ts";

const ns = useTestNamespace("e2e-control");

describe("the local control plane", () => {
  test("/version reports v1.36.3, on the API and in kubectl", async () => {
    const { kc } = clients();
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe("v1.36.3");
    expect(version.minor).toBe("36");
    const out = await kubectl(["version", "-o", "json"]);
    const parsed = JSON.parse(out.stdout);
    expect(parsed.clientVersion.gitVersion).toBe("v1.36.3");
    expect(parsed.serverVersion.gitVersion).toBe("v1.36.3");
  });

  test("the process node is Ready, has capacity and renews its Lease", async () => {
    const { core, kc } = clients();
    const node = await core.readNode({ name: "local-node" });
    expect(hasCondition(node, "Ready")).toBe(true);
    expect(Number(node.status?.allocatable?.pods)).toBeGreaterThan(0);
    expect(node.status?.addresses).toContainEqual({ type: "InternalIP", address: "127.0.0.1" });
    const leases = kc.makeApiClient(CoordinationV1Api);
    const first = await leases.readNamespacedLease({ name: "local-node", namespace: "kube-node-lease" });
    const renewed = await waitFor(
      "the node's Lease renewed",
      () => leases.readNamespacedLease({ name: "local-node", namespace: "kube-node-lease" }),
      (l) => new Date(l.spec!.renewTime!).getTime() > new Date(first.spec!.renewTime!).getTime(),
      20_000,
      500,
    );
    expect(renewed.spec?.holderIdentity).toBe("local-node");
  });

  test("a Job running across an API server restart completes, and new Jobs run afterwards", async () => {
    const { batch } = clients();
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: nodeJob("across-restart", "setTimeout(() => process.exit(0), 6000)"),
    });
    await waitFor(
      "Job across-restart active",
      () => batch.readNamespacedJob({ name: "across-restart", namespace: ns.name }),
      (j) => (j.status?.active ?? 0) === 1 && (j.status?.ready ?? 0) === 1,
    );
    await restartComponent("kube-apiserver");
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: nodeJob("after-restart", "process.exit(0)"),
    });
    for (const name of ["across-restart", "after-restart"]) {
      const job = await waitFor(
        `Job ${name} finished`,
        () => batch.readNamespacedJob({ name, namespace: ns.name }),
        (j) => Boolean(jobCondition(j, "Complete") || jobCondition(j, "Failed")),
        90_000,
      );
      expect(jobCondition(job, "Complete"), name).toBeDefined();
    }
  });
});
