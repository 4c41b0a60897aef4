import { describe, expect, it } from "vitest";
import { entryPath } from "../../../scripts/build.ts";
import { operatorConfigSchema } from "../../../src/operator/config.ts";
import { buildJob, effectiveTimeouts, RUNNER_COMMAND } from "../../../src/operator/resources/job.ts";
import { readRunEnvironment } from "../../../src/runners/config.ts";
import { RUNNER_ENTRYPOINT } from "../../cluster/node/images.ts";
import { taskRun } from "./builders.ts";

const config = operatorConfigSchema.parse({
  kube: {},
  runner: { redisUrl: "redis://127.0.0.1:6379", redisPasswordSecret: "redis/password" },
  leaderElection: { identity: "test" },
  http: {},
});

const buildInputs = (spec = {}, attempt = 2) => ({
  run: taskRun({ input: { a: 1 }, ...spec }),
  attempt,
  maxAttempts: 3,
  queue: "emails",
  timeouts: effectiveTimeouts(30, { softSeconds: 10 }),
  image: "ghcr.io/synthetiq/tasks:0.1.0",
  runner: config.runner,
});
const build = (spec = {}, attempt = 2) => buildJob(buildInputs(spec, attempt));
const envOf = (job: ReturnType<typeof build>) =>
  Object.fromEntries(job.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value ?? e.valueFrom]));

describe("the Job of an attempt", () => {
  it("carries the runner contract in its env, with the Redis password by reference only", () => {
    const env = envOf(build());
    expect(env).toMatchObject({
      TASK_INPUT: '{"a":1}',
      REDIS_URL: "redis://127.0.0.1:6379",
      RESULT_TTL_SECONDS: "86400",
      REDIS_PASSWORD: { secretKeyRef: { name: "redis", key: "password" } },
    });
    expect(build().spec.template.spec.automountServiceAccountToken).toBe(false);
    // Turned on, the pod leaves it to its ServiceAccount (a hardened account keeps its own false).
    const mounting = buildJob({
      ...buildInputs(),
      runner: { ...config.runner, automountServiceAccountToken: true },
    });
    expect(mounting.spec.template.spec).not.toHaveProperty("automountServiceAccountToken");
    expect(build().spec.template.spec.containers[0]!.command).toEqual(RUNNER_COMMAND);
    // The same runner the image's ENTRYPOINT and the local cluster's node start (test/unit/chart/dockerfile.test.ts).
    expect(RUNNER_COMMAND).toEqual(["node", entryPath("runner")]);
    expect(RUNNER_COMMAND).toEqual(RUNNER_ENTRYPOINT);
    // What the runner reads from that env (src/runners/config.ts): the operator and runner agree.
    const readByRunner = (job: ReturnType<typeof build>) =>
      readRunEnvironment(
        Object.fromEntries(
          job.spec.template.spec.containers[0]!.env.flatMap((e) =>
            e.value === undefined ? [] : [[e.name, e.value]],
          ),
        ),
      );
    expect(readByRunner(build())).toEqual({
      task: "testing.noop",
      taskRun: { namespace: "default", name: "welcome-1", uid: "uid-1" },
      attempt: 2,
      maxAttempts: 3,
      idempotencyKey: "uid-1",
      input: { inline: '{"a":1}' },
      softTimeoutSeconds: 10,
      abortGraceSeconds: 10,
    });
    expect(readByRunner(build({ idempotencyKey: "order-42" })).idempotencyKey).toBe("order-42");
  });

  it("names the run in one env var, not one per field: each entry is stored and sent twice per attempt", () => {
    const names = build().spec.template.spec.containers[0]!.env.map((e) => e.name);
    expect(names.filter((n) => /^TASK(RUN)?_/.test(n))).toEqual(["TASK_RUN", "TASK_INPUT"]);
  });

  it("leaves out run variables from extra and queue env, which the runner would refuse beside TASK_RUN", () => {
    const job = buildJob({
      ...buildInputs(),
      runner: { ...config.runner, extraEnv: { TASK_ATTEMPT: "9", TASK_RUN: "{}", LOG_LEVEL: "debug" } },
      queueEnv: [
        { name: "TASK_NAME", valueFrom: { configMapKeyRef: { name: "q", key: "task" } } },
        { name: "GREETING", valueFrom: { configMapKeyRef: { name: "q", key: "greeting" } } },
      ],
    });
    const env = job.spec.template.spec.containers[0]!.env;
    expect(env.filter((e) => ["TASK_ATTEMPT", "TASK_NAME"].includes(e.name))).toEqual([]);
    expect(env.filter((e) => e.name === "TASK_RUN")).toHaveLength(1);
    expect(env.map((e) => e.name)).toEqual(expect.arrayContaining(["LOG_LEVEL", "GREETING"]));
    const values = Object.fromEntries(env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
    expect(readRunEnvironment(values).attempt).toBe(2);
  });

  it("is one attempt only, owned by its TaskRun, with the exit-code policy and the hard timeout", () => {
    const job = build();
    expect(job.metadata.name).toBe("welcome-1-a2");
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(40);
    expect(job.metadata.ownerReferences[0]).toMatchObject({
      kind: "TaskRun",
      uid: "uid-1",
      controller: true,
    });
    expect(job.spec.podFailurePolicy.rules).toEqual([
      { action: "FailJob", onExitCodes: { containerName: "runner", operator: "In", values: [2] } },
      { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] },
    ]);
    expect(job.metadata.labels).toMatchObject({
      "tasks.synthetiq.io/taskrun": "welcome-1",
      "tasks.synthetiq.io/task": "testing.noop",
      "tasks.synthetiq.io/queue": "emails",
      "tasks.synthetiq.io/attempt": "2",
    });
  });

  it("runs restricted: non-root 65532, no privilege escalation, no capabilities, read-only root with /tmp", () => {
    const pod = build().spec.template.spec;
    const container = pod.containers[0]!;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    expect(pod.restartPolicy).toBe("Never");
  });

  it("places the pod as the run's overrides say, and leaves the cluster's defaults alone otherwise", () => {
    const overrides = {
      serviceAccountName: "reports",
      nodeSelector: { pool: "batch" },
      priorityClassName: "low",
      schedulerName: "volcano",
      resources: { requests: { cpu: "250m" } },
    };
    const placed = buildJob({ ...buildInputs(), pod: overrides }).spec.template.spec;
    expect(placed).toMatchObject({
      serviceAccountName: "reports",
      nodeSelector: { pool: "batch" },
      priorityClassName: "low",
      schedulerName: "volcano",
    });
    expect(placed.containers[0]).toMatchObject({ resources: { requests: { cpu: "250m" } } });
    const plain = build().spec.template.spec;
    for (const field of ["serviceAccountName", "nodeSelector", "priorityClassName", "schedulerName"]) {
      expect(plain).not.toHaveProperty(field);
    }
  });

  it("mounts input from a Secret as a file instead of inlining it", () => {
    const job = build({ input: undefined, inputFrom: { secretKeyRef: { name: "big", key: "payload" } } });
    const env = envOf(job);
    expect(env.TASK_INPUT).toBeUndefined();
    expect(env.TASK_INPUT_FILE).toBe("/var/run/synthetiq/input/input.json");
    expect(job.spec.template.spec.volumes).toContainEqual({
      name: "input",
      secret: { secretName: "big", items: [{ key: "payload", path: "input.json" }] },
    });
  });

  it("mounts the artifacts claim at the runner's ARTIFACTS_DIR, and mounts none without one", () => {
    const withClaim = (extraEnv: Record<string, string> = {}) =>
      buildJob({
        run: taskRun(),
        attempt: 1,
        maxAttempts: 1,
        queue: "reports",
        timeouts: {},
        image: "ghcr.io/synthetiq/tasks:0.1.0",
        runner: { ...config.runner, artifactsClaim: "tasks-artifacts", extraEnv },
      });
    const mounted = withClaim();
    const pod = mounted.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: "artifacts",
      persistentVolumeClaim: { claimName: "tasks-artifacts" },
    });
    expect(pod.containers[0]?.volumeMounts).toContainEqual({
      name: "artifacts",
      mountPath: "/var/lib/synthetiq/artifacts",
    });
    expect(envOf(mounted).ARTIFACTS_DIR).toBe("/var/lib/synthetiq/artifacts");

    const moved = withClaim({ ARTIFACTS_DIR: "/data/artifacts" });
    expect(moved.spec.template.spec.containers[0]?.volumeMounts).toContainEqual({
      name: "artifacts",
      mountPath: "/data/artifacts",
    });
    expect(
      moved.spec.template.spec.containers[0]?.env.filter((e) => e.name === "ARTIFACTS_DIR"),
    ).toHaveLength(1);
    expect(envOf(moved).ARTIFACTS_DIR).toBe("/data/artifacts");

    const none = build().spec.template.spec;
    expect(none.volumes.map((v) => (v as { name: string }).name)).not.toContain("artifacts");
    expect(envOf(build()).ARTIFACTS_DIR).toBeUndefined();
  });

  it("takes timeouts field by field and gives a soft-only timeout a hard one after the grace", () => {
    expect(effectiveTimeouts(30, { hardSeconds: 5 }, { softSeconds: 2, hardSeconds: 100 })).toEqual({
      softSeconds: 2,
      hardSeconds: 5,
    });
    expect(effectiveTimeouts(30, undefined)).toEqual({ softSeconds: undefined, hardSeconds: undefined });
    // Soft only: the hard limit comes the grace after it.
    expect(effectiveTimeouts(30, { softSeconds: 60 })).toEqual({ softSeconds: 60, hardSeconds: 90 });
  });

  it("moves an inherited soft timeout that would never fire to a grace before the hard one", () => {
    // The run's hard limit under the task's longer soft one.
    expect(effectiveTimeouts(30, { hardSeconds: 300 }, { softSeconds: 600 })).toEqual({
      softSeconds: 270,
      hardSeconds: 300,
    });
    expect(effectiveTimeouts(30, { hardSeconds: 20 }, { softSeconds: 600 })).toEqual({
      softSeconds: undefined,
      hardSeconds: 20,
    });
    expect(effectiveTimeouts(30, { hardSeconds: 300 }, { softSeconds: 100 })).toEqual({
      softSeconds: 100,
      hardSeconds: 300,
    });
  });
});
