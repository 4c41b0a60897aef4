// Jobs and CronJobs on the local cluster, driven by the real job, cronjob and garbage-collector
// controllers, with pods run by the process node.
import { describe, expect, test } from "vitest";
import { clients, jobCondition, jobPods, useTestNamespace, waitFor } from "../../harness/kube.ts";
import { nodeJob } from "./builders.ts";

const ns = useTestNamespace("e2e-jobs");

// The CronJob test waits for a minute boundary: run the tests of this file side by side.
describe.concurrent("jobs on the local cluster", () => {
  test("a Job whose container runs `node -e` gets Complete from the job controller", async () => {
    const { batch, core } = clients();
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: nodeJob("hello", "console.log('hello from ' + process.env.HOSTNAME); process.exit(0)"),
    });
    const job = await waitFor(
      "Job hello Complete",
      () => batch.readNamespacedJob({ name: "hello", namespace: ns.name }),
      (j) => Boolean(jobCondition(j, "Complete") || jobCondition(j, "Failed")),
    );
    expect(jobCondition(job, "Complete")).toBeDefined();
    expect(job.status?.succeeded).toBe(1);
    const [pod] = await jobPods(core, ns.name, "hello");
    expect(pod?.status?.phase).toBe("Succeeded");
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    expect(pod?.status?.startTime).toBeDefined();
  });

  test("exit code 2 with a podFailurePolicy FailJob rule fails the Job at once with reason PodFailurePolicy", async () => {
    const { batch, core } = clients();
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: nodeJob("permanent", "process.exit(2)", {
        spec: {
          backoffLimit: 6,
          podFailurePolicy: {
            rules: [
              { action: "FailJob", onExitCodes: { containerName: "main", operator: "In", values: [2] } },
            ],
          },
        },
      }),
    });
    const job = await waitFor(
      "Job permanent Failed",
      () => batch.readNamespacedJob({ name: "permanent", namespace: ns.name }),
      (j) => Boolean(jobCondition(j, "Failed")),
    );
    expect(jobCondition(job, "Failed")?.reason).toBe("PodFailurePolicy");
    // "At once": no retry although backoffLimit allows six.
    const pods = await jobPods(core, ns.name, "permanent");
    expect(pods).toHaveLength(1);
    expect(pods[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(2);
  });

  test("deleting a Job removes its pods (garbage collector), the running pod after SIGTERM", async () => {
    const { batch, core } = clients();
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: nodeJob("long", "setInterval(() => {}, 1000)", { spec: { parallelism: 2, completions: 2 } }),
    });
    const running = await waitFor(
      "two running pods of Job long",
      () => jobPods(core, ns.name, "long"),
      (pods) => pods.length === 2 && pods.every((p) => p.status?.phase === "Running"),
    );
    await batch.deleteNamespacedJob({ name: "long", namespace: ns.name, propagationPolicy: "Background" });
    await waitFor(
      "pods of Job long deleted",
      () => core.listNamespacedPod({ namespace: ns.name }),
      (list) => !list.items.some((p) => running.some((r) => r.metadata?.uid === p.metadata?.uid)),
      60_000,
    );
  });

  test("a burst of 40 Jobs all complete, each pod reported Succeeded with its exit code", async () => {
    const { batch, core } = clients();
    const names = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    await Promise.all(
      names.map((name) =>
        batch.createNamespacedJob({ namespace: ns.name, body: nodeJob(name, "process.exit(0)") }),
      ),
    );
    const done = await waitFor(
      "40 burst Jobs finished",
      () => batch.listNamespacedJob({ namespace: ns.name }),
      (list) =>
        names.every((n) => {
          const job = list.items.find((j) => j.metadata?.name === n);
          return job && (jobCondition(job, "Complete") || jobCondition(job, "Failed"));
        }),
      120_000,
      1_000,
    );
    const burst = done.items.filter((j) => names.includes(j.metadata!.name!));
    expect(burst.filter((j) => jobCondition(j, "Complete"))).toHaveLength(40);
    const pods = await core.listNamespacedPod({
      namespace: ns.name,
      labelSelector: "batch.kubernetes.io/job-name",
    });
    const burstPods = pods.items.filter((p) =>
      names.includes(p.metadata!.labels!["batch.kubernetes.io/job-name"]!),
    );
    expect(burstPods).toHaveLength(40);
    for (const pod of burstPods) {
      expect(pod.status?.phase).toBe("Succeeded");
      expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    }
  }, 150_000);

  test("a CronJob creates a Job on schedule, and that Job completes", async () => {
    const { batch } = clients();
    await batch.createNamespacedCronJob({
      namespace: ns.name,
      body: {
        metadata: { name: "every-minute" },
        spec: {
          schedule: "* * * * *",
          jobTemplate: { spec: nodeJob("unused", "console.log('tick')").spec! },
        },
      },
    });
    const created = Date.now();
    const jobs = await waitFor(
      "a Job owned by CronJob every-minute",
      () => batch.listNamespacedJob({ namespace: ns.name }),
      (list) => list.items.some((j) => j.metadata?.ownerReferences?.some((o) => o.kind === "CronJob")),
      75_000,
      500,
    );
    const job = jobs.items.find((j) => j.metadata?.ownerReferences?.some((o) => o.name === "every-minute"))!;
    // Scheduled at a minute boundary, not at creation time.
    const scheduled = new Date(
      job.metadata!.annotations!["batch.kubernetes.io/cronjob-scheduled-timestamp"]!,
    );
    expect(scheduled.getUTCSeconds()).toBe(0);
    expect(scheduled.getTime()).toBeGreaterThan(created - 1_000);
    await waitFor(
      `Job ${job.metadata!.name} Complete`,
      () => batch.readNamespacedJob({ name: job.metadata!.name!, namespace: ns.name }),
      (j) => Boolean(jobCondition(j, "Complete")),
    );
    const cron = await batch.readNamespacedCronJob({ name: "every-minute", namespace: ns.name });
    expect(cron.status?.lastScheduleTime).toBeDefined();
  }, 120_000);
});
