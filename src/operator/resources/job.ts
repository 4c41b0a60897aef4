// TaskRun + attempt → the Job manifest of that attempt (pure). The runner contract lives here:
// command, env, exit codes (podFailurePolicy), timeouts and the restricted pod security settings.

import { RUN_VARS, TASK_RUN_ENV, type TaskRunContext } from "../../runners/config.ts";
import type { PodOverrides, TimeoutsSpec } from "../api/common.ts";
import { API_VERSION, LABELS } from "../api/common.ts";
import type { TaskRun } from "../api/taskrun.ts";
import type { OperatorConfig } from "../config.ts";
import { jobName } from "../naming.ts";
import { CONTAINER_NAME } from "../status.ts";

/** The runner bundle in the image (scripts/build.ts; WORKDIR /app). */
export const RUNNER_COMMAND = ["node", "dist/runner.js"];
export const INPUT_FILE_DIR = "/var/run/synthetiq/input";
/** Where runners keep artifacts when no ARTIFACTS_DIR is given (src/runners/config.ts). */
export const DEFAULT_ARTIFACTS_DIR = "/var/lib/synthetiq/artifacts";

export interface EffectiveTimeouts {
  softSeconds?: number;
  hardSeconds?: number;
}

/**
 * Field by field, the first layer that sets a value wins; a soft timeout alone gets a hard one after
 * a grace. Layers can disagree (a run's hardSeconds 300 under its task's softSeconds 600): a soft
 * timeout at or past the hard one would never fire, so it moves to a grace before the hard one, or
 * goes when the hard one is shorter than the grace.
 */
export function effectiveTimeouts(
  graceSeconds: number,
  ...layers: Array<TimeoutsSpec | undefined>
): EffectiveTimeouts {
  const softSeconds = layers.find((l) => l?.softSeconds !== undefined)?.softSeconds;
  const hardSeconds =
    layers.find((l) => l?.hardSeconds !== undefined)?.hardSeconds ??
    (softSeconds !== undefined ? softSeconds + graceSeconds : undefined);
  if (softSeconds === undefined || hardSeconds === undefined || softSeconds < hardSeconds) {
    return { softSeconds, hardSeconds };
  }
  return { softSeconds: hardSeconds > graceSeconds ? hardSeconds - graceSeconds : undefined, hardSeconds };
}

export interface JobInputs {
  readonly run: TaskRun;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly queue: string;
  readonly timeouts: EffectiveTimeouts;
  readonly image: string;
  readonly pod?: PodOverrides;
  readonly runner: OperatorConfig["runner"];
  /** A TaskQueue governs the queue: the Job starts suspended with these ordering annotations. */
  readonly queued?: { readonly annotations: Record<string, string> };
  /** Environment from the queue's defaults (Secret/ConfigMap references); runner settings win. */
  readonly queueEnv?: ReadonlyArray<{ name: string; valueFrom: unknown }>;
}

type Env = { name: string; value?: string; valueFrom?: unknown };

/**
 * Env names that say which run and input the runner has: only the operator sets them. The same
 * name from the operator's extra env or a queue's defaults is left out, since the runner refuses
 * TASK_RUN beside a single variable (every run would fail) and the operator's value wins a clash.
 */
const RUN_ENV_NAMES: ReadonlySet<string> = new Set([
  TASK_RUN_ENV,
  ...Object.values(RUN_VARS),
  "TASK_INPUT",
  "TASK_INPUT_FILE",
]);

export function buildJob({
  run,
  attempt,
  maxAttempts,
  queue,
  timeouts,
  image,
  pod,
  runner,
  queued,
  queueEnv = [],
}: JobInputs) {
  const name = run.metadata.name ?? "";
  const labels = {
    [LABELS.taskRun]: name,
    [LABELS.task]: run.spec.task
      .slice(0, 63)
      .replace(/[^A-Za-z0-9_.-]/g, "_")
      .replace(/[._-]+$/, ""),
    [LABELS.queue]: queue,
    [LABELS.attempt]: String(attempt),
  };
  const context: TaskRunContext = {
    task: run.spec.task,
    namespace: run.metadata.namespace ?? "default",
    name,
    ...(run.metadata.uid ? { uid: run.metadata.uid } : {}),
    attempt,
    maxAttempts,
    ...(run.spec.idempotencyKey ? { idempotencyKey: run.spec.idempotencyKey } : {}),
    ...(timeouts.softSeconds !== undefined ? { softTimeoutSeconds: timeouts.softSeconds } : {}),
  };
  const env: Env[] = [
    { name: TASK_RUN_ENV, value: JSON.stringify(context) },
    { name: "REDIS_URL", value: runner.redisUrl },
    { name: "RESULT_TTL_SECONDS", value: String(runner.resultTtlSeconds) },
  ];
  if (runner.redisPasswordSecret) {
    env.push({ name: "REDIS_PASSWORD", valueFrom: { secretKeyRef: { ...runner.redisPasswordSecret } } });
  }
  for (const [k, v] of Object.entries(runner.extraEnv))
    if (!RUN_ENV_NAMES.has(k)) env.push({ name: k, value: v });
  for (const e of queueEnv) {
    if (!RUN_ENV_NAMES.has(e.name) && !env.some((x) => x.name === e.name)) env.push({ ...e });
  }

  const volumes: unknown[] = [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }];
  const volumeMounts: unknown[] = [{ name: "tmp", mountPath: "/tmp" }];
  if (runner.artifactsClaim) {
    // The root filesystem is read-only: the local artifact store needs a volume of its own.
    const dir = runner.extraEnv.ARTIFACTS_DIR ?? DEFAULT_ARTIFACTS_DIR;
    if (!env.some((e) => e.name === "ARTIFACTS_DIR")) env.push({ name: "ARTIFACTS_DIR", value: dir });
    volumes.push({ name: "artifacts", persistentVolumeClaim: { claimName: runner.artifactsClaim } });
    volumeMounts.push({ name: "artifacts", mountPath: dir });
  }
  const from = run.spec.inputFrom;
  if (from) {
    const ref = from.secretKeyRef ?? from.configMapKeyRef;
    const items = [{ key: ref?.key ?? "", path: "input.json" }];
    volumes.push(
      from.secretKeyRef
        ? { name: "input", secret: { secretName: from.secretKeyRef.name, items } }
        : { name: "input", configMap: { name: from.configMapKeyRef?.name, items } },
    );
    volumeMounts.push({ name: "input", mountPath: INPUT_FILE_DIR, readOnly: true });
    env.push({ name: "TASK_INPUT_FILE", value: `${INPUT_FILE_DIR}/input.json` });
  } else {
    env.push({ name: "TASK_INPUT", value: JSON.stringify(run.spec.input ?? {}) });
  }

  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(name, attempt),
      namespace: run.metadata.namespace,
      labels,
      ...(queued ? { annotations: queued.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: "TaskRun",
          name,
          uid: run.metadata.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...(queued ? { suspend: true } : {}),
      backoffLimit: 0,
      ...(timeouts.hardSeconds !== undefined ? { activeDeadlineSeconds: timeouts.hardSeconds } : {}),
      podFailurePolicy: {
        rules: [
          {
            action: "FailJob",
            onExitCodes: { containerName: CONTAINER_NAME, operator: "In", values: [2] },
          },
          { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          ...(pod?.serviceAccountName ? { serviceAccountName: pod.serviceAccountName } : {}),
          ...(pod?.nodeSelector ? { nodeSelector: pod.nodeSelector } : {}),
          ...(pod?.priorityClassName ? { priorityClassName: pod.priorityClassName } : {}),
          ...(pod?.schedulerName ? { schedulerName: pod.schedulerName } : {}),
          // Off on the pod, whatever its account says; on: the account decides (the pod's field would win).
          ...(runner.automountServiceAccountToken ? {} : { automountServiceAccountToken: false }),
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: CONTAINER_NAME,
              image,
              imagePullPolicy: runner.imagePullPolicy,
              command: RUNNER_COMMAND,
              env,
              ...(pod?.resources ? { resources: pod.resources } : {}),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}
