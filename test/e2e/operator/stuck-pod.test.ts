// End to end on the local cluster: a runner pod that cannot start because its queue's env names a
// Secret that does not exist in the run's namespace shows the kubelet's reason and message on the
// TaskRun (condition, kubectl -o wide, describe) while the run stays Running; once the Secret
// exists the same attempt starts and the run succeeds.
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
