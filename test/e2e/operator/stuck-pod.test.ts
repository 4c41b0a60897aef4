// End to end on the local cluster: a runner pod that cannot get on shows why on its TaskRun
// (condition, kubectl -o wide, describe) while the run stays Running, and the same attempt goes on
// once that is mended: a container that cannot start because its queue's env names a Secret that
// does not exist (the kubelet's reason and message), and a pod no node matches (the scheduler's).
import { describe, expect, it } from "vitest";
import { kubectl, waitFor } from "../../harness/kube.ts";
import { createTaskQueue } from "../queues/helpers.ts";
import { condition, createTaskRun, getTaskRun, useOperator, waitForPhase } from "./helpers.ts";

const suite = useOperator("op-stuck");

describe("a runner pod stuck in CreateContainerConfigError", () => {
  it("names the missing Secret in the TaskRun's Succeeded condition until the Secret exists", async () => {
    const { client, namespace } = suite;
    await createTaskQueue(client, namespace, "needs-secret", {
      concurrency: { min: 1, max: 1 },
      defaults: {
        env: [
          {
            name: "QUEUE_TOKEN",
            valueFrom: { secretKeyRef: { name: "absent-redis-auth", key: "password" } },
          },
        ],
      },
    });
    await createTaskRun(client, namespace, "stuck", {
      task: "testing.noop",
      input: {},
      queue: "needs-secret",
    });
    const run = await waitFor(
      "the TaskRun's condition to show the pod's waiting reason",
      () => getTaskRun(client, namespace, "stuck"),
      (current) => condition(current, "Succeeded")?.reason === "CreateContainerConfigError",
      90_000,
    );
    expect(run.status?.phase).toBe("Running");
    expect(condition(run, "Succeeded")?.status).toBe("Unknown");
    expect(condition(run, "Succeeded")?.message).toContain('"absent-redis-auth"');

    const wide = await kubectl(["get", "taskrun", "-n", namespace, "stuck", "-o", "wide"]);
    expect(wide.code).toBe(0);
    expect(wide.stdout).toContain("CreateContainerConfigError");
    const described = await kubectl(["describe", "taskrun", "-n", namespace, "stuck"]);
    expect(described.stdout).toContain("absent-redis-auth");

    await client.create(`/api/v1/namespaces/${namespace}/secrets`, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "absent-redis-auth", namespace },
      stringData: { password: "not-a-real-password" },
    });
    const done = await waitForPhase(client, namespace, "stuck", ["Succeeded", "Failed"]);
    expect(done.status?.phase).toBe("Succeeded");
    expect(done.status?.attemptCount).toBe(1);
  }, 150_000);
});

describe("a runner pod no node can take", () => {
  it("shows the scheduler's message until a node matches, then the same attempt runs", async () => {
    const { client, namespace } = suite;
    // A label of this test's own on the one node: other suites never select on it.
    const label = `e2e.synthetiq.io/${namespace}`;
    await createTaskRun(client, namespace, "no-node", {
      task: "testing.noop",
      input: {},
      pod: { nodeSelector: { [label]: "yes" } },
    });
    const run = await waitFor(
      "the TaskRun's condition to show that no node fits its pod",
      () => getTaskRun(client, namespace, "no-node"),
      (current) => condition(current, "Succeeded")?.reason === "Unschedulable",
      90_000,
    );
    expect(run.status?.phase).toBe("Running");
    expect(condition(run, "Succeeded")?.message).toMatch(
      /^attempt 1: pod no-node-a1-\S+ cannot be scheduled: 0\/1 nodes are available: .*node affinity\/selector/,
    );
    const wide = await kubectl(["get", "taskrun", "-n", namespace, "no-node", "-o", "wide"]);
    expect(wide.stdout).toContain("Unschedulable");
    const events = await client.list<{
      items: Array<{ reason?: string; involvedObject: { name?: string } }>;
    }>(`/api/v1/namespaces/${namespace}/events`);
    expect(
      events.items.filter((e) => e.involvedObject.name === "no-node" && e.reason === "Unschedulable"),
    ).toHaveLength(1);

    const [node] = (await client.list<{ items: Array<{ metadata: { name: string } }> }>("/api/v1/nodes"))
      .items;
    const nodePath = `/api/v1/nodes/${node?.metadata.name}`;
    await client.mergePatch(nodePath, { metadata: { labels: { [label]: "yes" } } });
    try {
      const done = await waitForPhase(client, namespace, "no-node", ["Succeeded", "Failed"]);
      expect(done.status?.phase).toBe("Succeeded");
      expect(done.status?.attemptCount).toBe(1);
    } finally {
      await client.mergePatch(nodePath, { metadata: { labels: { [label]: null } } });
    }
  }, 150_000);
});
