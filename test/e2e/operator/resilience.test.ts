// End to end: the operator survives its own death between creating a Job and writing status, runs
// as two replicas with one leader, and resumes its watches after the API server restarts.
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient } from "../../../src/operator/kube/client.ts";
import { restartComponent, useTestNamespace, waitFor } from "../../harness/kube.ts";
import { type RunningOperator, startOperator } from "../../harness/operator.ts";
import { api, applyCrds, createTaskRun, getTaskRun, jobsOf, waitForPhase } from "./helpers.ts";

const ns = useTestNamespace("op-resil");
let client: KubeClient;
const started: RunningOperator[] = [];

function operator(
  options: { identity?: string; env?: Record<string, string>; waitUntilLeading?: boolean } = {},
) {
  return startOperator({
    kubeconfigPath: inject("kubeconfigPath"),
    redisUrl: inject("redisUrl"),
    namespace: ns.name,
    ...options,
  }).then((op) => {
    started.push(op);
    return op;
  });
}

beforeAll(async () => {
  client = api();
  await applyCrds(client);
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((op) => op.stop()));
});

describe("operator resilience", () => {
  it("killed between creating a Job and writing status: no duplicate Job, and the run completes", async () => {
    const crashing = await operator({
      identity: "crashing",
      env: { OPERATOR_FAULT_KILL_AFTER_JOB_CREATE: "1" },
    });
    await createTaskRun(client, ns.name, "crash", { task: "testing.sleep", input: { seconds: 2 } });
    await crashing.exited;
    const afterCrash = await getTaskRun(client, ns.name, "crash");
    expect(afterCrash.status?.attempts ?? []).toHaveLength(0);
    expect(await jobsOf(client, ns.name, "crash")).toHaveLength(1);

    await operator({ identity: "recovering" });
    const run = await waitForPhase(client, ns.name, "crash", ["Succeeded", "Failed"]);
    expect(run.status?.phase).toBe("Succeeded");
    expect(run.status?.attempts?.map((a) => a.job)).toEqual(["crash-a1"]);
    expect(await jobsOf(client, ns.name, "crash")).toHaveLength(1);
  });

  it("two replicas: one leads, the other takes over when it stops", async () => {
    const first = await operator({ identity: "replica-a" });
    const second = await operator({ identity: "replica-b", waitUntilLeading: false });
    const lease = () =>
      client.get<{ spec: { holderIdentity?: string } }>(
        `/apis/coordination.k8s.io/v1/namespaces/${ns.name}/leases/synthetiq-tasks-operator`,
      );
    expect((await lease()).spec.holderIdentity).toBe("replica-a");
    expect(await first.metric("synthetiq_operator_leader")).toBe(1);
    expect(await second.metric("synthetiq_operator_leader")).toBe(0);

    await createTaskRun(client, ns.name, "with-a", { task: "testing.noop", input: {} });
    await waitForPhase(client, ns.name, "with-a", ["Succeeded"]);
    expect(await second.metric("synthetiq_taskrun_attempts_total")).toBe(0);

    await first.stop();
    await waitFor(
      "replica-b to lead",
      () => second.metric("synthetiq_operator_leader"),
      (v) => v === 1,
      20_000,
    );
    expect((await lease()).spec.holderIdentity).toBe("replica-b");
    await createTaskRun(client, ns.name, "with-b", { task: "testing.noop", input: {} });
    await waitForPhase(client, ns.name, "with-b", ["Succeeded"]);
    expect(await jobsOf(client, ns.name, "with-a")).toHaveLength(1);
    expect(await jobsOf(client, ns.name, "with-b")).toHaveLength(1);
  });

  it("a successful run costs at most 4 API writes (Job, status Running, status Succeeded, Event)", async () => {
    const op = await operator({ identity: "counted" });
    const writes = async () => {
      const text = await (await fetch(op.metricsUrl)).text();
      let n = 0;
      for (const m of text.matchAll(/^synthetiq_operator_api_requests_total\{([^}]*)\} (\S+)$/gm)) {
        const labels = m[1] ?? "";
        if (labels.includes('resource="leases"')) continue;
        if (/verb="(create|update|patch|delete)"/.test(labels)) n += Number(m[2]);
      }
      return n;
    };
    const before = await writes();
    await createTaskRun(client, ns.name, "counted", { task: "testing.noop", input: {} });
    await waitForPhase(client, ns.name, "counted", ["Succeeded"]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await writes()).toBeLessThanOrEqual(before + 4);
  });

  it("the API server restarted mid-run: watches resume and nothing is lost", async () => {
    const op = await operator({ identity: "survivor" });
    await createTaskRun(client, ns.name, "through-restart", { task: "testing.sleep", input: { seconds: 6 } });
    await waitForPhase(client, ns.name, "through-restart", ["Running"]);
    await restartComponent("kube-apiserver");
    await createTaskRun(client, ns.name, "after-restart", { task: "testing.noop", input: {} });
    const [first, second] = await Promise.all([
      waitForPhase(client, ns.name, "through-restart", ["Succeeded", "Failed"], 120_000),
      waitForPhase(client, ns.name, "after-restart", ["Succeeded", "Failed"], 120_000),
    ]);
    expect(first.status?.phase).toBe("Succeeded");
    expect(second.status?.phase).toBe("Succeeded");
    expect(first.status?.attempts).toHaveLength(1);
    expect(await op.metric("synthetiq_operator_watch_restarts_total")).toBeGreaterThan(0);
    expect(op.process.child.exitCode).toBeNull();
  });
});
