import { describe, expect, it } from "vitest";
import { buildRunnerConfig, readRunEnvironment, readRunnerConfig } from "../../../src/runners/config.ts";

describe("runner configuration", () => {
  it("reads each section from its env vars, with defaults", () => {
    const config = readRunnerConfig({
      REDIS_URL: "redis://r:6379",
      REDIS_PASSWORD: "pw",
      REDIS_TLS: "true",
      SMTP_HOST: "smtp.example",
      SMTP_PORT: "465",
      SMTP_SECURE: "yes",
      MAIL_FROM: "no-reply@example.com",
      DATABASE_URL: "postgres://db/cdp",
      RESULT_MAX_BYTES: "",
    });
    expect(config.redis).toEqual({ url: "redis://r:6379", password: "pw", tls: true });
    expect(config.smtp).toMatchObject({
      host: "smtp.example",
      port: 465,
      secure: true,
      from: "no-reply@example.com",
    });
    expect(config.results).toEqual({ ttlSeconds: 86_400, maxBytes: 1_048_576 });
    expect(config.database.url).toBe("postgres://db/cdp");
  });

  it("names the env var of a bad value", () => {
    expect(() => readRunnerConfig({ SMTP_PORT: "smtp" })).toThrow(/SMTP_PORT: /);
    expect(() => readRunnerConfig({ REDIS_TLS: "maybe" })).toThrow(/REDIS_TLS: /);
  });

  it("names the env var of a bad entry in a list value, counting entries from 1", () => {
    expect(() => readRunnerConfig({ THUMBNAIL_SIZES: "128,10,abc" })).toThrow(
      "invalid runner configuration: THUMBNAIL_SIZES: entry 2: Too small: expected number to be >=16; " +
        "THUMBNAIL_SIZES: entry 3: not a number",
    );
  });

  it("lists the accepted spellings of a bad flag", () => {
    expect(() => readRunnerConfig({ REDIS_TLS: "maybe" })).toThrow(
      "invalid runner configuration: REDIS_TLS: expected one of true, 1, yes, on, y, enabled, false, 0, no, off, n, disabled",
    );
    expect(readRunnerConfig({ REDIS_TLS: "off", SMTP_SECURE: "1" })).toMatchObject({
      redis: { tls: false },
      smtp: { secure: true },
    });
  });

  it("builds from typed overrides for tests", () => {
    expect(buildRunnerConfig({ results: { ttlSeconds: 5 } }).results).toEqual({
      ttlSeconds: 5,
      maxBytes: 1_048_576,
    });
  });
});

describe("TaskRun environment", () => {
  const base = { TASK_NAME: "email.x", TASKRUN_NAMESPACE: "ns", TASKRUN_NAME: "run", TASKRUN_UID: "uid-1" };

  it("defaults the attempt to 1 and the idempotency key to the TaskRun's uid", () => {
    expect(readRunEnvironment(base)).toMatchObject({
      task: "email.x",
      taskRun: { namespace: "ns", name: "run", uid: "uid-1" },
      attempt: 1,
      idempotencyKey: "uid-1",
      input: { none: true },
      abortGraceSeconds: 10,
    });
    expect(readRunEnvironment({ ...base, TASK_IDEMPOTENCY_KEY: "k", TASK_ATTEMPT: "3" })).toMatchObject({
      idempotencyKey: "k",
      attempt: 3,
    });
  });

  it("takes inline input or a file, not both", () => {
    expect(readRunEnvironment({ ...base, TASK_INPUT: "{}" }).input).toEqual({ inline: "{}" });
    expect(readRunEnvironment({ ...base, TASK_INPUT_FILE: "/in.json" }).input).toEqual({ file: "/in.json" });
    expect(() => readRunEnvironment({ ...base, TASK_INPUT: "{}", TASK_INPUT_FILE: "/in.json" })).toThrow(
      /not both/,
    );
  });

  it("names what is missing or wrong", () => {
    expect(() => readRunEnvironment({ TASK_NAME: "x" })).toThrow(/TASKRUN_NAMESPACE: .*TASKRUN_NAME: /);
    expect(() => readRunEnvironment({ ...base, TASK_ATTEMPT: "0" })).toThrow(/TASK_ATTEMPT: /);
    expect(() => readRunEnvironment({ ...base, TASK_MAX_ATTEMPTS: "three" })).toThrow(/TASK_MAX_ATTEMPTS: /);
    expect(() => readRunEnvironment({ TASK_RUN: "" })).toThrow(
      /no TaskRun given: set TASK_RUN \(JSON\), or TASK_NAME/,
    );
  });

  it("reads the same fields from one JSON variable, TASK_RUN, as the operator sets them", () => {
    const context = {
      task: "email.x",
      namespace: "ns",
      name: "run",
      uid: "uid-1",
      attempt: 2,
      maxAttempts: 3,
    };
    expect(readRunEnvironment({ TASK_RUN: JSON.stringify(context), TASK_INPUT: "{}" })).toEqual({
      task: "email.x",
      taskRun: { namespace: "ns", name: "run", uid: "uid-1" },
      attempt: 2,
      maxAttempts: 3,
      idempotencyKey: "uid-1",
      input: { inline: "{}" },
      abortGraceSeconds: 10,
    });
    const soft = readRunEnvironment({ TASK_RUN: JSON.stringify({ ...context, softTimeoutSeconds: 30 }) });
    expect(soft.softTimeoutSeconds).toBe(30);
  });

  it("refuses TASK_RUN that is not JSON, has a bad field, or is set beside the single variables", () => {
    const json = (o: object) => ({ TASK_RUN: JSON.stringify(o) });
    const context = { task: "email.x", namespace: "ns", name: "run" };
    expect(() => readRunEnvironment({ TASK_RUN: "{task:" })).toThrow(/TASK_RUN: not JSON/);
    expect(() => readRunEnvironment(json({ ...context, attempt: 0 }))).toThrow(/TASK_RUN\.attempt: /);
    expect(() => readRunEnvironment(json({ ...context, attempt: true }))).toThrow(/TASK_RUN\.attempt: /);
    expect(() => readRunEnvironment(json({ ...context, softTimeoutSeconds: "5" }))).toThrow(
      /TASK_RUN\.softTimeoutSeconds: /,
    );
    expect(() => readRunEnvironment(json({ namespace: "ns", name: "run" }))).toThrow(/TASK_RUN\.task: /);
    // A field this runner does not know (from a newer operator) is ignored, not fatal.
    expect(readRunEnvironment(json({ ...context, priority: "high" })).task).toBe("email.x");
    expect(() => readRunEnvironment({ ...json(context), TASK_ATTEMPT: "2", TASKRUN_NAME: "other" })).toThrow(
      /set TASK_RUN or TASKRUN_NAME, TASK_ATTEMPT, not both/,
    );
  });
});

describe("sections of other task families", () => {
  it("are read from their env vars too (artifact storage on S3)", () => {
    const config = readRunnerConfig({ ARTIFACTS_S3_BUCKET: "models", ARTIFACTS_S3_FORCE_PATH_STYLE: "true" });
    expect(config.artifacts).toMatchObject({ s3Bucket: "models", s3ForcePathStyle: true });
  });

  it("put S3 in the deployment's AWS region (AWS_REGION, as the chart's aws.region sets it) unless ARTIFACTS_S3_REGION says otherwise", () => {
    expect(readRunnerConfig({}).artifacts.s3Region).toBe("us-east-1");
    expect(readRunnerConfig({ AWS_REGION: "eu-west-1" }).artifacts.s3Region).toBe("eu-west-1");
    expect(readRunnerConfig({ AWS_REGION: "eu-west-1" }).ecr.region).toBe("eu-west-1");
    const both = readRunnerConfig({ AWS_REGION: "eu-west-1", ARTIFACTS_S3_REGION: "eu-central-1" });
    expect(both.artifacts.s3Region).toBe("eu-central-1");
    expect(both.ecr.region).toBe("eu-west-1");
    // An S3-compatible server (MinIO) is not in AWS's region.
    const minio = readRunnerConfig({
      AWS_REGION: "eu-west-1",
      ARTIFACTS_S3_ENDPOINT: "http://127.0.0.1:9000",
    });
    expect(minio.artifacts.s3Region).toBe("us-east-1");
  });
});
