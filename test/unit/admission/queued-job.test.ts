// What a governed queue changes in an attempt's Job: suspended with the ordering annotations, and
// the queue's spec.defaults (pod, env references) under the run's own fields.
import { describe, expect, it } from "vitest";
import {
  mergePodOverrides,
  queueDefaults,
  queueEnv,
} from "../../../src/operator/admission/queue-defaults.ts";
import { QUEUE_ANNOTATIONS, queueAnnotations } from "../../../src/operator/admission/queue-view.ts";
import { operatorConfigSchema } from "../../../src/operator/config.ts";
import { buildJob } from "../../../src/operator/resources/job.ts";
import { taskRun } from "../operator/builders.ts";

const config = operatorConfigSchema.parse({
  kube: {},
  runner: { redisUrl: "redis://127.0.0.1:6379", extraEnv: { SMTP_HOST: "from-operator" } },
  leaderElection: { identity: "test" },
  http: {},
});
const now = new Date("2026-01-01T00:00:05.123Z");

function build(queued: boolean, env: Parameters<typeof queueEnv>[0] = undefined) {
  const run = taskRun({ priority: 7 });
  return buildJob({
    run,
    attempt: 1,
    maxAttempts: 3,
    queue: "emails",
    timeouts: {},
    image: "img",
    runner: config.runner,
    ...(queued ? { queued: { annotations: queueAnnotations(run, now) } } : {}),
    queueEnv: queueEnv(env),
  });
}

describe("an attempt Job of a governed queue", () => {
  it("starts suspended with priority, TaskRun creation and queueing time annotations", () => {
    const job = build(true);
    expect(job.spec.suspend).toBe(true);
    expect(job.metadata.annotations).toEqual({
      [QUEUE_ANNOTATIONS.priority]: "7",
      [QUEUE_ANNOTATIONS.taskRunCreated]: "2026-01-01T00:00:00.000Z",
      [QUEUE_ANNOTATIONS.queuedAt]: "2026-01-01T00:00:05.123Z",
    });
  });

  it("a queue without a TaskQueue leaves the Job as it was: not suspended, no annotations", () => {
    const job = build(false);
    expect(job.spec.suspend).toBeUndefined();
    expect(job.metadata.annotations).toBeUndefined();
  });

  it("the queue's env references reach the container as valueFrom; the operator's own settings win a clash", () => {
    const job = build(true, {
      env: [
        { name: "SMTP_PASSWORD", valueFrom: { secretKeyRef: { name: "smtp", key: "password" } } },
        { name: "SMTP_HOST", valueFrom: { configMapKeyRef: { name: "smtp", key: "host" } } },
      ],
    });
    const env = job.spec.template.spec.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "SMTP_PASSWORD")).toEqual({
      name: "SMTP_PASSWORD",
      valueFrom: { secretKeyRef: { name: "smtp", key: "password" } },
    });
    expect(env.filter((e) => e.name === "SMTP_HOST")).toEqual([
      { name: "SMTP_HOST", value: "from-operator" },
    ]);
  });
});

describe("the queue's priority class", () => {
  it("becomes its runs' pods' priority class unless the queue's defaults.pod names one", () => {
    expect(queueDefaults({ priorityClassName: "batch-low" })).toEqual({
      pod: { priorityClassName: "batch-low" },
    });
    expect(
      queueDefaults({
        priorityClassName: "batch-low",
        defaults: { image: "img", pod: { serviceAccountName: "runner" } },
      }),
    ).toEqual({ image: "img", pod: { serviceAccountName: "runner", priorityClassName: "batch-low" } });
    expect(
      queueDefaults({ priorityClassName: "batch-low", defaults: { pod: { priorityClassName: "urgent" } } }),
    ).toEqual({ pod: { priorityClassName: "urgent" } });
    expect(queueDefaults({ defaults: { image: "img" } })).toEqual({ image: "img" });
    expect(queueDefaults({})).toBeUndefined();
    // A run's own pod.priorityClassName still wins over the queue's.
    expect(
      mergePodOverrides(
        { priorityClassName: "mine" },
        queueDefaults({ priorityClassName: "batch-low" })?.pod,
      ),
    ).toEqual({ priorityClassName: "mine" });
  });
});

describe("pod overrides", () => {
  it("a field the run sets replaces the queue's, the others come from the queue", () => {
    expect(
      mergePodOverrides(
        { resources: { limits: { memory: "1Gi" } } },
        { serviceAccountName: "runner", resources: { requests: { cpu: "100m" } } },
      ),
    ).toEqual({ serviceAccountName: "runner", resources: { limits: { memory: "1Gi" } } });
    expect(mergePodOverrides(undefined, undefined)).toBeUndefined();
    expect(mergePodOverrides({ serviceAccountName: "mine" }, undefined)).toEqual({
      serviceAccountName: "mine",
    });
  });
});
