// The operator's configuration: read from the environment and validated once at start-up, then
// passed down. Secrets are references (a Secret name and key), never values.
import { z } from "zod";
import { keyReference } from "./api/common.ts";

export const DEFAULT_RUNNER_IMAGE = "ghcr.io/synthetiq/tasks:0.1.0";

const csv = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);
const secretRef = z
  .string()
  .regex(/^[a-z0-9.-]+\/[^/]+$/, "must be SECRET_NAME/KEY")
  .transform((s) => {
    const [name, key] = s.split("/") as [string, string];
    return keyReference.parse({ name, key });
  });

export const operatorConfigSchema = z.object({
  kube: z.object({
    /** A kubeconfig file; unset means in-cluster (service account) configuration. */
    kubeconfig: z.string().optional(),
    /** Namespaces to watch; empty means all. */
    namespaces: z.array(z.string()).default([]),
  }),
  runner: z.object({
    image: z.string().min(1).default(DEFAULT_RUNNER_IMAGE),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).default("IfNotPresent"),
    redisUrl: z.string().min(1),
    redisPasswordSecret: secretRef.optional(),
    /** A PersistentVolumeClaim in each run's namespace, mounted at the runners' ARTIFACTS_DIR. */
    artifactsClaim: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a PersistentVolumeClaim name")
      .optional(),
    resultTtlSeconds: z.coerce.number().int().min(1).default(86_400),
    /** Extra plain environment for every runner (for example RUNNER_ENABLE_TEST_TASKS=1 in tests). */
    extraEnv: z.record(z.string(), z.string()).default({}),
    /** Seconds between the soft timeout and the hard kill when only a soft timeout is set. */
    softToHardGraceSeconds: z.coerce.number().int().min(1).default(30),
    /**
     * Mount the pod's ServiceAccount token in runner pods. Runners never call the Kubernetes API:
     * off unless a workload identity needs the token (the chart's runner.serviceAccount.automountToken).
     */
    automountServiceAccountToken: z.boolean().default(false),
  }),
  leaderElection: z.object({
    enabled: z.boolean().default(true),
    namespace: z.string().default("default"),
    leaseName: z.string().default("synthetiq-tasks-operator"),
    identity: z.string().min(1),
    leaseDurationSeconds: z.coerce.number().int().min(2).default(15),
    renewDeadlineSeconds: z.coerce.number().int().min(1).default(10),
    retryPeriodSeconds: z.coerce.number().int().min(1).default(2),
  }),
  http: z.object({
    host: z.string().default("127.0.0.1"),
    port: z.coerce.number().int().min(0).max(65_535).default(8080),
  }),
  workers: z.coerce.number().int().min(1).max(64).default(32),
  /** Seconds without any watch event or bookmark after which a watch is presumed stalled. */
  watchStallSeconds: z.coerce.number().int().min(5).default(90),
  /** Fault injection for end-to-end tests only: die (SIGKILL) right after creating a Job. */
  faults: z.object({ killAfterJobCreate: z.boolean().default(false) }).default({ killAfterJobCreate: false }),
});
export type OperatorConfig = z.infer<typeof operatorConfigSchema>;

/** A flag's spellings; anything else is passed on as is, for the schema to refuse naming the variable. */
const bool = (v: string | undefined): boolean | string | undefined => {
  if (v === undefined || v === "") return undefined;
  const lower = v.toLowerCase();
  if (["1", "true", "yes"].includes(lower)) return true;
  if (["0", "false", "no"].includes(lower)) return false;
  return v;
};

/** Reads OPERATOR_* / KUBECONFIG / REDIS_URL from `env`; throws naming each bad variable. */
export function configFromEnv(env: NodeJS.ProcessEnv): OperatorConfig {
  const extraEnv = Object.fromEntries(
    Object.entries(env)
      .filter(([k]) => k.startsWith("OPERATOR_RUNNER_ENV_"))
      .map(([k, v]) => [k.slice("OPERATOR_RUNNER_ENV_".length), v ?? ""]),
  );
  const raw = {
    kube: {
      kubeconfig: env.KUBECONFIG || undefined,
      namespaces: env.OPERATOR_NAMESPACES ? csv.parse(env.OPERATOR_NAMESPACES) : undefined,
    },
    runner: {
      image: env.OPERATOR_RUNNER_IMAGE || undefined,
      imagePullPolicy: env.OPERATOR_RUNNER_IMAGE_PULL_POLICY || undefined,
      redisUrl: env.REDIS_URL,
      redisPasswordSecret: env.OPERATOR_REDIS_PASSWORD_SECRET || undefined,
      artifactsClaim: env.OPERATOR_ARTIFACTS_PVC || undefined,
      resultTtlSeconds: env.RESULT_TTL_SECONDS || undefined,
      extraEnv,
      softToHardGraceSeconds: env.OPERATOR_SOFT_TO_HARD_GRACE_SECONDS || undefined,
      automountServiceAccountToken: bool(env.OPERATOR_RUNNER_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN),
    },
    leaderElection: {
      enabled: bool(env.OPERATOR_LEADER_ELECTION),
      namespace: env.OPERATOR_LEASE_NAMESPACE || env.POD_NAMESPACE || undefined,
      leaseName: env.OPERATOR_LEASE_NAME || undefined,
      identity:
        env.OPERATOR_IDENTITY ||
        env.POD_NAME ||
        `${(env.HOSTNAME ?? "operator").slice(0, 40)}-${process.pid}`,
      leaseDurationSeconds: env.OPERATOR_LEASE_DURATION_SECONDS || undefined,
      renewDeadlineSeconds: env.OPERATOR_RENEW_DEADLINE_SECONDS || undefined,
      retryPeriodSeconds: env.OPERATOR_RETRY_PERIOD_SECONDS || undefined,
    },
    http: { host: env.OPERATOR_HTTP_HOST || undefined, port: env.OPERATOR_HTTP_PORT || undefined },
    workers: env.OPERATOR_WORKERS || undefined,
    watchStallSeconds: env.OPERATOR_WATCH_STALL_SECONDS || undefined,
    faults: { killAfterJobCreate: bool(env.OPERATOR_FAULT_KILL_AFTER_JOB_CREATE) },
  };
  const parsed = operatorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.join(".");
      const name = ENV_NAMES[path] ?? path;
      const value = name in env ? ` (got ${JSON.stringify(env[name])})` : "";
      return issue.code === "invalid_type" && issue.expected === "number"
        ? `${name}: expected a number, got ${JSON.stringify(env[name])}`
        : `${name}: ${issue.message}${value}`;
    });
    throw new Error(`invalid operator configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** The env var behind each config path, so that errors name what the operator's deployer must fix. */
const ENV_NAMES: Record<string, string> = {
  "kube.kubeconfig": "KUBECONFIG",
  "runner.automountServiceAccountToken": "OPERATOR_RUNNER_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN",
  "kube.namespaces": "OPERATOR_NAMESPACES",
  "runner.image": "OPERATOR_RUNNER_IMAGE",
  "runner.imagePullPolicy": "OPERATOR_RUNNER_IMAGE_PULL_POLICY",
  "runner.redisUrl": "REDIS_URL",
  "runner.redisPasswordSecret": "OPERATOR_REDIS_PASSWORD_SECRET",
  "runner.artifactsClaim": "OPERATOR_ARTIFACTS_PVC",
  "runner.resultTtlSeconds": "RESULT_TTL_SECONDS",
  "runner.softToHardGraceSeconds": "OPERATOR_SOFT_TO_HARD_GRACE_SECONDS",
  "leaderElection.enabled": "OPERATOR_LEADER_ELECTION",
  "leaderElection.namespace": "OPERATOR_LEASE_NAMESPACE",
  "leaderElection.leaseName": "OPERATOR_LEASE_NAME",
  "leaderElection.identity": "OPERATOR_IDENTITY",
  "leaderElection.leaseDurationSeconds": "OPERATOR_LEASE_DURATION_SECONDS",
  "leaderElection.renewDeadlineSeconds": "OPERATOR_RENEW_DEADLINE_SECONDS",
  "leaderElection.retryPeriodSeconds": "OPERATOR_RETRY_PERIOD_SECONDS",
  "http.host": "OPERATOR_HTTP_HOST",
  "http.port": "OPERATOR_HTTP_PORT",
  workers: "OPERATOR_WORKERS",
  watchStallSeconds: "OPERATOR_WATCH_STALL_SECONDS",
  "faults.killAfterJobCreate": "OPERATOR_FAULT_KILL_AFTER_JOB_CREATE",
};
