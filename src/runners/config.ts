// The runner's configuration, read from the environment and validated once at start-up, then
// passed down. Each integration has its own section; secrets arrive as env vars from Secret refs.
// To add a section: add it to `runnerConfigSchema` (flat settings) and map each env var in `ENV_NAMES`.
import { z } from "zod";

/** A boolean that also accepts z.stringbool's env spellings ("true"/"false", "1"/"0", "yes"/"no", ...). */
const flag = z.union([z.boolean(), z.stringbool()], {
  // The union alone says only "Invalid input": name the spellings z.stringbool accepts instead.
  error: (issue) => {
    const spellings =
      issue.code === "invalid_union" ? issue.errors.flat().find((i) => "values" in i) : undefined;
    return spellings && "values" in spellings ? `expected one of ${spellings.values.join(", ")}` : undefined;
  },
});

export const runnerConfigSchema = z.object({
  redis: z.object({
    url: z.string().default("redis://127.0.0.1:6379"),
    password: z.string().optional(),
    tls: flag.default(false),
  }),
  results: z.object({
    /** How long result records live in Redis (Celery's result_expires). */
    ttlSeconds: z.coerce.number().int().positive().default(86_400),
    /** Largest serialized result record; bigger outputs belong in artifact storage. */
    maxBytes: z.coerce.number().int().positive().default(1_048_576),
  }),
  smtp: z.object({
    host: z.string().optional(),
    port: z.coerce.number().int().min(1).max(65_535).default(587),
    /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
    secure: flag.default(false),
    user: z.string().optional(),
    password: z.string().optional(),
    /** The sender of every mail, e.g. `"SynthetIQ" <no-reply@synthetiq.io>`. */
    from: z.string().optional(),
  }),
  database: z.object({
    /** The CDP database (Postgres). */
    url: z.string().optional(),
  }),
  // Model tasks (issue 5). Artifact storage: S3 when s3Bucket is set, else the local directory.
  artifacts: z.object({
    dir: z.string().min(1).default("/var/lib/synthetiq/artifacts"),
    s3Bucket: z.string().min(3).optional(),
    s3Endpoint: z.url().optional(),
    s3Region: z.string().min(1).default("us-east-1"),
    s3ForcePathStyle: flag.default(false),
  }),
  ecr: z.object({
    region: z.string().min(1).default("us-east-1"),
    /** The ECR API endpoint (moto in tests). */
    endpoint: z.url().optional(),
    /** Push here instead of the proxyEndpoint ECR returns (tests, pull-through mirrors). */
    registryEndpoint: z.url().optional(),
  }),
  thumbnails: z.object({
    /** Edge lengths in pixels; the env var is comma-separated ("128,256,512"). */
    sizes: z
      .union([z.array(z.number()), z.string().transform((s) => s.split(",").map((n) => Number(n.trim())))])
      .pipe(
        z
          .array(
            // An entry that is not a number reaches here as NaN: say so rather than "received NaN".
            z
              .number({ error: (issue) => (issue.code === "invalid_type" ? "not a number" : undefined) })
              .int()
              .min(16)
              .max(4096),
          )
          .min(1),
      )
      .default([128, 256, 512]),
  }),
  // Report tasks (issue 6).
  reports: z.object({
    /** IANA zone of report periods when the input names none. */
    timeZone: z.string().min(1).default("UTC"),
    /** Lifetime of the links to report files. */
    linkExpirySeconds: z.coerce.number().int().min(60).max(604_800).default(604_800),
    /** Lifetime of the link to a GDPR export (shorter: it holds personal data). */
    exportLinkExpirySeconds: z.coerce.number().int().min(60).max(604_800).default(86_400),
    /** The seller block of invoices built from an order id. */
    sellerName: z.string().min(1).default("SynthetIQ Signals GmbH"),
    /** Address lines separated by "\n" (in the env var: a literal "\n" or "|"). */
    sellerAddress: z.string().default("Example Street 1\n10115 Berlin\nGermany"),
    sellerVatId: z.string().optional(),
  }),
});

export type RunnerConfig = z.infer<typeof runnerConfigSchema>;
export type RunnerConfigInput = z.input<typeof runnerConfigSchema>;

type Env = Record<string, string | undefined>;

/** Empty env vars count as unset, so a Secret key that exists but is blank falls back to the default. */
function setting(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The env var behind each config path, for error messages that name what the operator must fix. */
const ENV_NAMES: Record<string, string> = {
  "redis.url": "REDIS_URL",
  "redis.password": "REDIS_PASSWORD",
  "redis.tls": "REDIS_TLS",
  "results.ttlSeconds": "RESULT_TTL_SECONDS",
  "results.maxBytes": "RESULT_MAX_BYTES",
  "smtp.host": "SMTP_HOST",
  "smtp.port": "SMTP_PORT",
  "smtp.secure": "SMTP_SECURE",
  "smtp.user": "SMTP_USER",
  "smtp.password": "SMTP_PASSWORD",
  "smtp.from": "MAIL_FROM",
  "database.url": "DATABASE_URL",
  "artifacts.dir": "ARTIFACTS_DIR",
  "artifacts.s3Bucket": "ARTIFACTS_S3_BUCKET",
  "artifacts.s3Endpoint": "ARTIFACTS_S3_ENDPOINT",
  "artifacts.s3Region": "ARTIFACTS_S3_REGION",
  "artifacts.s3ForcePathStyle": "ARTIFACTS_S3_FORCE_PATH_STYLE",
  "ecr.region": "AWS_REGION",
  "ecr.endpoint": "ECR_ENDPOINT",
  "ecr.registryEndpoint": "ECR_REGISTRY_ENDPOINT",
  "thumbnails.sizes": "THUMBNAIL_SIZES",
  "reports.timeZone": "REPORT_TIME_ZONE",
  "reports.linkExpirySeconds": "REPORT_LINK_EXPIRY_SECONDS",
  "reports.exportLinkExpirySeconds": "GDPR_EXPORT_LINK_EXPIRY_SECONDS",
  "reports.sellerName": "INVOICE_SELLER_NAME",
  "reports.sellerAddress": "INVOICE_SELLER_ADDRESS",
  "reports.sellerVatId": "INVOICE_SELLER_VAT_ID",
};

/**
 * The env var that sets a config path, for messages: `smtp.host` → `SMTP_HOST`. A longer path points
 * into a list value, counted from 1 as people count: `thumbnails.sizes.1` → `THUMBNAIL_SIZES: entry 2`.
 */
export function envNameOf(path: ReadonlyArray<PropertyKey>): string {
  const name = ENV_NAMES[path.slice(0, 2).join(".")];
  if (name === undefined) return path.join(".");
  const inside = path
    .slice(2)
    .map((segment) => (typeof segment === "number" ? segment + 1 : String(segment)));
  return inside.length === 0 ? name : `${name}: entry ${inside.join(".")}`;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function parseOrExplain<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  describe: (path: ReadonlyArray<PropertyKey>) => string,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${describe(issue.path)}: ${issue.message}`);
  throw new ConfigError(`invalid runner configuration: ${problems.join("; ")}`);
}

export function readRunnerConfig(env: Env): RunnerConfig {
  const raw: Record<string, Record<string, string>> = Object.fromEntries(
    Object.keys(runnerConfigSchema.shape).map((section) => [section, {}]),
  );
  for (const [path, name] of Object.entries(ENV_NAMES)) {
    const [section = "", key = ""] = path.split(".");
    const value = setting(env, name);
    if (value !== undefined && raw[section]) raw[section][key] = value;
  }
  // AWS S3 is in the deployment's AWS region (AWS_REGION, the chart's aws.region) unless
  // ARTIFACTS_S3_REGION says otherwise; an S3-compatible server (ARTIFACTS_S3_ENDPOINT) keeps its own default.
  const artifacts = raw.artifacts ?? {};
  const awsRegion = setting(env, "AWS_REGION");
  if (artifacts.s3Region === undefined && artifacts.s3Endpoint === undefined && awsRegion) {
    artifacts.s3Region = awsRegion;
  }
  return parseOrExplain(runnerConfigSchema, raw, envNameOf);
}

/** Builds a configuration from typed values (tests, the in-process runner): defaults fill the rest. */
export function buildRunnerConfig(overrides: DeepPartial<RunnerConfigInput> = {}): RunnerConfig {
  const sections = Object.keys(runnerConfigSchema.shape) as (keyof RunnerConfigInput)[];
  const raw = Object.fromEntries(sections.map((name) => [name, { ...(overrides[name] ?? {}) }]));
  return parseOrExplain(runnerConfigSchema, raw, (path) => path.join("."));
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

// ---- The TaskRun this process runs (set by the operator on the Job's container) ----

/**
 * Which attempt of which TaskRun this process runs. The operator sets it as one JSON env var,
 * `TASK_RUN` (`{"task":…,"namespace":…,"name":…,"uid":…,"attempt":2,"maxAttempts":3}`): every env
 * entry is stored, validated and sent to every watcher twice per attempt (the Job's template and
 * the pod), with a managedFields entry of its own, so one entry instead of eight makes each attempt
 * lighter on the API server. By hand, the same fields can be set one env var each (RUN_VARS).
 */
export const taskRunContextSchema = z.object({
  task: z.string().min(1),
  namespace: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().min(1).optional(),
  /** 1-based. */
  attempt: z.number().int().min(1).default(1),
  maxAttempts: z.number().int().min(1).optional(),
  /** Stable across attempts; defaults to the uid, else `namespace/name`. */
  idempotencyKey: z.string().min(1).optional(),
  softTimeoutSeconds: z.number().positive().optional(),
});
// Fields it does not know are ignored (z.object strips them), so that an operator newer than the
// runner image a queue pins can add one without failing every run.

/** What the operator writes into `TASK_RUN`. */
export type TaskRunContext = z.input<typeof taskRunContextSchema>;

export const TASK_RUN_ENV = "TASK_RUN";

/** The env var of each field when they are set one by one. */
export const RUN_VARS = {
  task: "TASK_NAME",
  namespace: "TASKRUN_NAMESPACE",
  name: "TASKRUN_NAME",
  uid: "TASKRUN_UID",
  attempt: "TASK_ATTEMPT",
  maxAttempts: "TASK_MAX_ATTEMPTS",
  idempotencyKey: "TASK_IDEMPOTENCY_KEY",
  softTimeoutSeconds: "TASK_SOFT_TIMEOUT_SECONDS",
} as const satisfies Record<keyof TaskRunContext, string>;

/** Fields that are numbers in TASK_RUN and decimal strings in their single variables. */
const NUMERIC_FIELDS: ReadonlySet<keyof TaskRunContext> = new Set([
  "attempt",
  "maxAttempts",
  "softTimeoutSeconds",
]);

const runInputSchema = z
  .object({
    TASK_INPUT: z.string().optional(),
    TASK_INPUT_FILE: z.string().optional(),
    TASK_ABORT_GRACE_SECONDS: z.coerce.number().min(0).default(10),
  })
  .refine((env) => !(env.TASK_INPUT !== undefined && env.TASK_INPUT_FILE !== undefined), {
    message: "set TASK_INPUT or TASK_INPUT_FILE, not both",
    path: ["TASK_INPUT_FILE"],
  });

/** The TaskRun's fields from `TASK_RUN`, or else from one env var each; errors name where each came from. */
function readTaskRunContext(env: Env): z.output<typeof taskRunContextSchema> {
  const json = setting(env, TASK_RUN_ENV);
  /** The single variables that are set. */
  const given = (Object.entries(RUN_VARS) as Array<[keyof TaskRunContext, string]>)
    .map(([field, name]) => ({ field, name, value: setting(env, name) }))
    .filter((s) => s.value !== undefined);
  if (json === undefined) {
    if (given.length === 0) {
      throw new ConfigError(
        `invalid runner configuration: no TaskRun given: set ${TASK_RUN_ENV} (JSON), or ${RUN_VARS.task}, ${RUN_VARS.namespace} and ${RUN_VARS.name}`,
      );
    }
    const raw = Object.fromEntries(
      given.map(({ field, value }) => [field, NUMERIC_FIELDS.has(field) ? Number(value) : value]),
    );
    return parseOrExplain(
      taskRunContextSchema,
      raw,
      (path) => RUN_VARS[path[0] as keyof TaskRunContext] ?? path.join("."),
    );
  }
  if (given.length > 0) {
    throw new ConfigError(
      `invalid runner configuration: set ${TASK_RUN_ENV} or ${given.map((s) => s.name).join(", ")}, not both`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(
      `invalid runner configuration: ${TASK_RUN_ENV}: not JSON (${(error as Error).message})`,
    );
  }
  return parseOrExplain(taskRunContextSchema, raw, (path) => [TASK_RUN_ENV, ...path].join("."));
}

export interface RunEnvironment {
  task: string;
  taskRun: { namespace: string; name: string; uid?: string };
  attempt: number;
  /** When known, a retryable failure on this attempt is the last one (the result is final). */
  maxAttempts?: number;
  idempotencyKey: string;
  input: { inline: string } | { file: string } | { none: true };
  softTimeoutSeconds?: number;
  /** After SIGTERM or the soft timeout, how long the task may take to wind down. */
  abortGraceSeconds: number;
}

export function readRunEnvironment(env: Env): RunEnvironment {
  const run = readTaskRunContext(env);
  const raw = Object.fromEntries(Object.keys(runInputSchema.shape).map((name) => [name, setting(env, name)]));
  const e = parseOrExplain(runInputSchema, raw, (path) => path.join("."));
  const input =
    e.TASK_INPUT !== undefined
      ? { inline: e.TASK_INPUT }
      : e.TASK_INPUT_FILE !== undefined
        ? { file: e.TASK_INPUT_FILE }
        : { none: true as const };
  return {
    task: run.task,
    taskRun: { namespace: run.namespace, name: run.name, ...(run.uid ? { uid: run.uid } : {}) },
    attempt: run.attempt,
    ...(run.maxAttempts ? { maxAttempts: run.maxAttempts } : {}),
    idempotencyKey: run.idempotencyKey ?? run.uid ?? `${run.namespace}/${run.name}`,
    input,
    ...(run.softTimeoutSeconds ? { softTimeoutSeconds: run.softTimeoutSeconds } : {}),
    abortGraceSeconds: e.TASK_ABORT_GRACE_SECONDS,
  };
}
