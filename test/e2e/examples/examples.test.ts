// Every file in examples/ applied with `kubectl apply` on the local cluster, with the operator
// running and real backing services on loopback (SMTP sink, a seeded CDP database, Redis, a local
// artifact directory, moto's ECR API and a docker-registry to push to): the valid TaskRuns succeed
// and do what their comments say, the schedule and the queue are accepted, and each mistake fails
// with the very error its comment quotes.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EXAMPLE_ARTIFACTS, putExampleArtifacts } from "../../../examples/artifacts.ts";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import { LocalArtifactStore } from "../../../src/runners/artifacts/local.ts";
import { migrate } from "../../../src/runners/cdp/migrate.ts";
import { seedCdp } from "../../../src/runners/cdp/seed.ts";
import { builtInTasks } from "../../../src/runners/registry.ts";
import { singleArchImage, storeLayoutDirectory, type TestImage } from "../../fixtures/models/oci-image.ts";
import { kubectl } from "../../harness/kube.ts";
import { type RunningMoto, startMoto } from "../../harness/moto.ts";
import { HARNESS_DIR } from "../../harness/processes.ts";
import { type RunningRegistry, startRegistry } from "../../harness/registry.ts";
import { type SmtpSink, startSmtpSink } from "../../harness/smtp.ts";
import { condition, getTaskRun, useOperator, waitForPhase } from "../operator/helpers.ts";
import {
  exampleFile,
  exampleFiles,
  expectedError,
  taskRunInput,
  taskRunNames,
  tasksWithExamples,
} from "./example-files.ts";

/** Runner settings the operator passes to every runner pod; filled before the operator starts. */
const runnerEnv: Record<string, string> = {};
let smtp: SmtpSink;
let artifactsDir: string;
let databaseUrl: string;
let dropDatabase: () => Promise<void> = async () => {};
let moto: RunningMoto;
let registry: RunningRegistry;
/** What examples/models/push-to-ecr.yaml asks for, read from the file. */
const pushInput = taskRunInput("models/push-to-ecr.yaml") as {
  source: { ociLayout: { artifactPrefix: string } };
  repository: string;
  tag: string;
};
/** The image the push example copies, written as an OCI layout where its input says. */
let pushedImage: TestImage;

beforeAll(async () => {
  smtp = await startSmtpSink();
  artifactsDir = mkdtempSync(join(HARNESS_DIR, "examples-artifacts-"));
  // Runner pods run as uid 65532 and write thumbnails, reports and scans here.
  chmodSync(artifactsDir, 0o777);
  const store = new LocalArtifactStore(artifactsDir);
  await putExampleArtifacts(store);
  pushedImage = singleArchImage(256 * 1024);
  await storeLayoutDirectory(store, pushInput.source.ociLayout.artifactPrefix, pushedImage, pushInput.tag);
  [moto, registry] = await Promise.all([startMoto(), startRegistry()]);
  databaseUrl = await createSeededDatabase(inject("databaseUrl"));
  // A TaskQueue's spec.defaults.env (Secret/ConfigMap references) reaches only the runs of that
  // queue, and the examples name no queue: the settings go to every runner as plain env. No real
  // credential is involved (trust auth, no SMTP auth, moto's fixed fake AWS keys).
  Object.assign(runnerEnv, {
    OPERATOR_RUNNER_ENV_SMTP_HOST: smtp.host,
    OPERATOR_RUNNER_ENV_SMTP_PORT: String(smtp.port),
    OPERATOR_RUNNER_ENV_MAIL_FROM: "SynthetIQ <no-reply@synthetiq.example>",
    OPERATOR_RUNNER_ENV_DATABASE_URL: databaseUrl,
    OPERATOR_RUNNER_ENV_ARTIFACTS_DIR: artifactsDir,
    // ECR's API is moto; the image bytes go to a real registry, as docs/models.md describes.
    OPERATOR_RUNNER_ENV_ECR_ENDPOINT: moto.endpoint,
    OPERATOR_RUNNER_ENV_ECR_REGISTRY_ENDPOINT: registry.endpoint,
    ...Object.fromEntries(
      Object.entries(moto.credentials).map(([name, value]) => [`OPERATOR_RUNNER_ENV_${name}`, value]),
    ),
  });
}, 180_000);

const suite = useOperator("examples", { env: runnerEnv });

afterAll(async () => {
  await Promise.all([smtp?.stop(), moto?.stop(), registry?.stop()]);
  await dropDatabase();
  if (artifactsDir) rmSync(artifactsDir, { recursive: true, force: true });
});

/** A database of its own on the shared test Postgres, migrated and seeded like the demo's. */
async function createSeededDatabase(serverUrl: string): Promise<string> {
  const name = `examples_${process.pid}_${Date.now() % 100_000}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await migrate(pool);
  await seedCdp(pool, {
    users: 50,
    models: 10,
    orders: 600,
    from: new Date("2024-06-01T00:00:00Z"),
    to: new Date("2024-07-01T00:00:00Z"),
  });
  await pool.end();
  dropDatabase = async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  };
  return url;
}

/** `kubectl apply -f examples/<file>`, after the text substitutions its comment asks for. */
function apply(file: string, replace: Record<string, string> = {}) {
  let path = exampleFile(file);
  if (Object.keys(replace).length > 0) {
    let text = readFileSync(path, "utf8");
    for (const [from, to] of Object.entries(replace)) text = text.replaceAll(from, to);
    path = join(artifactsDir, `${file.replaceAll("/", "_")}`);
    writeFileSync(path, text);
  }
  return kubectl(["apply", "-n", suite.namespace, "-f", path]);
}

async function result(run: TaskRun): Promise<{ status: string; output?: Record<string, unknown> }> {
  const redis = new Redis(inject("redisUrl"));
  try {
    return JSON.parse((await redis.get(run.status?.resultRef ?? "")) ?? "null");
  } finally {
    redis.disconnect();
  }
}

/** Applies an example, waits for its TaskRun to finish, and returns it with its result record. */
async function runExample(file: string, replace: Record<string, string> = {}) {
  const applied = await apply(file, replace);
  expect(applied.stderr).toBe("");
  const [name] = taskRunNames(file);
  const run = await waitForPhase(
    suite.client,
    suite.namespace,
    name!,
    ["Succeeded", "Failed", "Cancelled", "Expired"],
    150_000,
  );
  const record = await result(run);
  expect({ phase: run.status?.phase, error: record }).toMatchObject({ phase: "Succeeded" });
  return { run, record };
}

const artifact = (key: string) => join(artifactsDir, ...key.split("/"));

describe("examples/", () => {
  it("has a valid example for every built-in task and one of each kind of mistake", () => {
    const production = [...builtInTasks.keys()].filter((name) => !name.startsWith("testing.")).sort();
    expect([...tasksWithExamples()].filter((t) => production.includes(t)).sort()).toEqual(production);
    expect(exampleFiles().filter((f) => f.startsWith("mistakes/"))).toEqual([
      "mistakes/bad-input.yaml",
      "mistakes/crd-validation-error.yaml",
      "mistakes/unknown-task.yaml",
    ]);
  });
});

describe.concurrent("examples/ on the local cluster", () => {
  it("email/send-welcome-email.yaml: the welcome mail reaches the SMTP server", async () => {
    await runExample("email/send-welcome-email.yaml");
    const mail = smtp.mails.find((m) => m.envelope.to.includes("ada@example.com"));
    expect(mail?.parsed.text).toContain("Ada Lovelace");
    expect(mail?.parsed.html).toBeTruthy();
  });

  it("email/send-order-confirmation.yaml: the confirmation lists the lines in euros, German style", async () => {
    await runExample("email/send-order-confirmation.yaml");
    const mail = smtp.mails.find((m) => m.envelope.to.includes("grace@example.com"));
    expect(mail?.parsed.text).toContain("Extra GPU hours");
    expect(mail?.parsed.text?.replace(/\u00a0/g, " ")).toMatch(/49,00 €/);
  });

  it("email/send-license-email.yaml: the key from the Secret is mailed, never stored in the result", async () => {
    const { run, record } = await runExample("email/send-license-email.yaml");
    const mail = smtp.mails.find((m) => m.envelope.to.includes("linus@example.com"));
    expect(mail?.parsed.text).toContain("SIQ-7F3A-92KD-XX41-0PQR");
    expect(JSON.stringify(record)).not.toContain("SIQ-7F3A-92KD-XX41-0PQR");
    expect(JSON.stringify(run)).not.toContain("SIQ-7F3A-92KD-XX41-0PQR");
  });

  it("email/cleanup-expired-sessions.yaml succeeds against the CDP database", async () => {
    const { record } = await runExample("email/cleanup-expired-sessions.yaml");
    expect(record.output).toHaveProperty("deleted");
  });

  it("models/generate-model-thumbnail.yaml: thumbnails of the example image land in artifact storage", async () => {
    await runExample("models/generate-model-thumbnail.yaml");
    expect(existsSync(artifact(EXAMPLE_ARTIFACTS.modelCard))).toBe(true);
    const { default: sharp } = await import("sharp");
    const thumbnails = (await new LocalArtifactStore(artifactsDir).list("thumbnails/model-card/")).sort();
    expect(thumbnails).toHaveLength(4);
    const webp = thumbnails.find((k) => k.includes("128") && k.endsWith(".webp"));
    const meta = await sharp(readFileSync(artifact(webp!))).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
      format: "webp",
      width: 128,
      height: 128,
    });
  });

  it("models/scan-model-security.yaml: the example pickle that calls os.system is found malicious", async () => {
    const { record } = await runExample("models/scan-model-security.yaml");
    expect(record.output?.verdict).toBe("malicious");
    expect(JSON.stringify(record.output?.findings)).toContain("os.system");
    expect(existsSync(artifact(String(record.output?.reportKey)))).toBe(true);
  });

  it("models/update-model-analytics.yaml counts the events and rolls them up", async () => {
    // As its comment says: today's date in occurredAt (older than 30 days is rejected).
    const today = new Date().toISOString().slice(0, 10);
    const { record } = await runExample("models/update-model-analytics.yaml", { "2024-06-15": today });
    expect(record.output).toMatchObject({ counted: 3, rejectedTotal: 0, days: [today] });
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      const { rows } = await pool.query(
        "SELECT sum(views)::int AS views, sum(downloads)::int AS downloads FROM model_analytics_daily WHERE day = $1 AND model_id IN (1, 2)",
        [today],
      );
      expect(rows[0]).toEqual({ views: 2, downloads: 1 });
    } finally {
      await pool.end();
    }
  });

  it("reports/generate-daily-report.yaml: PDF, CSV and JSON for the day, links mailed", async () => {
    const { record } = await runExample("reports/generate-daily-report.yaml");
    const text = JSON.stringify(record.output);
    expect(text).toContain("2024-06-15");
    const mail = smtp.mails.find((m) => m.envelope.to.includes("analytics@example.com"));
    expect(mail).toBeDefined();
  });

  it("reports/generate-monthly-report.yaml succeeds for June 2024", async () => {
    const { record } = await runExample("reports/generate-monthly-report.yaml");
    expect(JSON.stringify(record.output)).toContain("2024-06");
  });

  it("reports/generate-invoice-pdf.yaml: a PDF of order 2", async () => {
    const { record } = await runExample("reports/generate-invoice-pdf.yaml");
    const key = String(record.output?.key);
    expect(readFileSync(artifact(key)).subarray(0, 5).toString()).toBe("%PDF-");
  });

  it("reports/export-customer-data.yaml: a zip of customer 7's data", async () => {
    const { record } = await runExample("reports/export-customer-data.yaml");
    const key = String(record.output?.key);
    expect(readFileSync(artifact(key)).subarray(0, 2).toString()).toBe("PK");
  });

  it("models/push-to-ecr.yaml: the image is in the ECR repository and the registry serves it by the tag", async () => {
    const { repository, tag } = pushInput;
    const { record } = await runExample("models/push-to-ecr.yaml");
    expect(record.output).toMatchObject({
      repositoryCreated: true,
      digest: pushedImage.top.digest,
      tag,
      blobsPushed: pushedImage.pushedBlobDigests.length,
    });
    const { ECRClient, DescribeRepositoriesCommand } = await import("@aws-sdk/client-ecr");
    const ecr = new ECRClient({
      region: moto.credentials.AWS_REGION,
      endpoint: moto.endpoint,
      credentials: {
        accessKeyId: moto.credentials.AWS_ACCESS_KEY_ID,
        secretAccessKey: moto.credentials.AWS_SECRET_ACCESS_KEY,
      },
    });
    try {
      const { repositories } = await ecr.send(
        new DescribeRepositoriesCommand({ repositoryNames: [repository] }),
      );
      expect(repositories?.map((r) => r.repositoryName)).toEqual([repository]);
    } finally {
      ecr.destroy();
    }
    const manifest = await fetch(`${registry.endpoint}/v2/${repository}/manifests/${tag}`, {
      headers: { accept: pushedImage.top.mediaType },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get("docker-content-digest")).toBe(pushedImage.top.digest);
    expect(Buffer.from(await manifest.arrayBuffer()).equals(pushedImage.top.bytes)).toBe(true);
  });

  it("scheduled-cleanup.yaml becomes a Scheduled TaskRun owning its CronJob", async () => {
    expect((await apply("scheduled-cleanup.yaml")).code).toBe(0);
    const run = await waitForPhase(suite.client, suite.namespace, "cleanup-sessions-every-15-min", [
      "Scheduled",
    ]);
    expect(run.status?.nextScheduleTime).toBeTruthy();
    const cronJobs = await kubectl(["get", "cronjobs", "-n", suite.namespace, "-o", "json"]);
    const [cronJob] = (
      JSON.parse(cronJobs.stdout) as { items: Array<{ spec: { schedule: string; timeZone: string } }> }
    ).items;
    expect(cronJob?.spec).toMatchObject({ schedule: "*/15 * * * *", timeZone: "Europe/Berlin" });
  });

  it("taskqueue.yaml is accepted and readable with the tq short name", async () => {
    expect((await apply("taskqueue.yaml")).code).toBe(0);
    const got = await kubectl(["get", "tq", "exports", "-n", suite.namespace, "-o", "jsonpath={.spec}"]);
    expect(JSON.parse(got.stdout)).toMatchObject({ concurrency: { min: 0, max: 3 } });
  });

  for (const file of ["mistakes/bad-input.yaml", "mistakes/unknown-task.yaml"]) {
    it(`${file}: Failed without a pod, with the error its comment quotes`, async () => {
      expect((await apply(file)).code).toBe(0);
      const [name] = taskRunNames(file);
      const run = await waitForPhase(suite.client, suite.namespace, name!, ["Failed"]);
      const inputValid = condition(run, "InputValid");
      expect(inputValid?.status).toBe("False");
      expect(inputValid?.message).toContain(expectedError(file));
      expect(run.status?.attempts ?? []).toEqual([]);
    });
  }

  it("mistakes/crd-validation-error.yaml: kubectl apply fails with the error its comment quotes", async () => {
    const applied = await apply("mistakes/crd-validation-error.yaml");
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toContain(expectedError("mistakes/crd-validation-error.yaml"));
    await expect(getTaskRun(suite.client, suite.namespace, "report-bad-timeouts")).rejects.toThrow();
  });
});
