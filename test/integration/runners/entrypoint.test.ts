// The runner entrypoint as a real process, from the bundle the image runs (`node dist/runner.js`
// with the Job's env): exit codes, the result record in Redis, SIGTERM and the soft time limit
// aborting the task's signal, and a task whose library stays outside the bundle (sharp).
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { builtEntry } from "../../../scripts/build.ts";
import type { TaskRunContext } from "../../../src/runners/config.ts";
import { ResultsClient } from "../../../src/runners/results/client.ts";
import { freePort } from "../../harness/processes.ts";
import { type SmtpSink, startSmtpSink } from "../../harness/smtp.ts";

interface RunnerProcess {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  waitForLine(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

function startRunner(env: Record<string, string>): RunnerProcess {
  const child = spawn(process.execPath, [builtEntry("runner")], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let buffer = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part));
    for (const listener of listeners) listener();
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      if (stderr) console.error(stderr);
      resolve(code);
    }),
  );
  return {
    child,
    lines,
    exited,
    waitForLine(msg, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.find((l) => l.msg === msg);
          if (!line) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(line);
        };
        const timer = setTimeout(
          () => reject(new Error(`no "${msg}" log line within ${timeoutMs} ms: ${JSON.stringify(lines)}`)),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
  };
}

let sink: SmtpSink;
let results: ResultsClient;
let inputDir: string;
beforeAll(() => {
  results = new ResultsClient({ url: inject("redisUrl"), tls: false });
  inputDir = mkdtempSync(join(tmpdir(), "runner-input-"));
});
afterAll(async () => {
  await results.close();
  rmSync(inputDir, { recursive: true, force: true });
});
beforeEach(async () => {
  sink = await startSmtpSink();
});
afterEach(async () => {
  await sink.stop();
});

/**
 * The env the operator sets on a Job for one attempt of a welcome mail TaskRun: the run in
 * TASK_RUN (fields of `run` replace the defaults), the rest as env vars (`overrides`).
 */
function jobEnv(overrides: Record<string, string> = {}, run: Partial<TaskRunContext> = {}) {
  const context = {
    task: "email.send_welcome_email",
    namespace: "shop",
    name: `welcome-${randomUUID().slice(0, 8)}`,
    uid: randomUUID(),
    attempt: 1,
    ...run,
  };
  const env: Record<string, string> = {
    TASK_RUN: JSON.stringify(context),
    TASK_INPUT: JSON.stringify({ email: "ada@example.com", name: "Ada" }),
    REDIS_URL: inject("redisUrl"),
    SMTP_HOST: sink.host,
    SMTP_PORT: String(sink.port),
    SMTP_SECURE: "false",
    MAIL_FROM: "no-reply@synthetiq.test",
    ...overrides,
  };
  return { env, ref: { namespace: context.namespace, name: context.name } };
}

describe("runner entrypoint", () => {
  it("exits 0 on success, stores the record, and wakes a waiter through the done channel", async () => {
    const { env, ref } = jobEnv();
    const waiting = results.waitForCompletion(ref, { timeoutMs: 20_000 });
    const runner = startRunner(env);

    expect(await runner.exited).toBe(0);
    const record = await waiting;
    expect(record).toMatchObject({
      task: "email.send_welcome_email",
      status: "succeeded",
      final: true,
      attempt: 1,
    });
    expect(await results.read(ref)).toEqual(record);
    expect(await results.attempts(ref)).toEqual([record]);
    expect(sink.mails).toHaveLength(1);
    const started = await runner.waitForLine("task started");
    expect(started).toMatchObject({
      level: "info",
      namespace: "shop",
      name: ref.name,
      attempt: 1,
      task: "email.send_welcome_email",
    });
  });

  it("reads the input from a mounted file", async () => {
    const file = join(inputDir, "input.json");
    writeFileSync(file, JSON.stringify({ email: "file@example.com", name: "From File" }));
    const { env } = jobEnv({ TASK_INPUT_FILE: file });
    delete env.TASK_INPUT;
    expect(await startRunner(env).exited).toBe(0);
    const [mail] = await sink.waitForMails(1);
    expect(mail?.envelope.to).toEqual(["file@example.com"]);
  });

  it("exits 1 on a retryable failure (SMTP 421), and the record says why", async () => {
    sink.failNext(421);
    const { env, ref } = jobEnv({}, { attempt: 2, maxAttempts: 4 });
    expect(await startRunner(env).exited).toBe(1);
    expect(await results.read(ref)).toMatchObject({
      attempt: 2,
      status: "failed",
      final: false,
      error: { type: "SmtpTemporaryFailure", retryable: true },
    });
  });

  it("exits 2 on bad input, naming the field", async () => {
    const { env, ref } = jobEnv({ TASK_INPUT: JSON.stringify({ email: "ada@example" }) });
    expect(await startRunner(env).exited).toBe(2);
    const record = await results.read(ref);
    expect(record?.error?.type).toBe("InvalidInput");
    expect(record?.error?.message).toContain("email: Invalid email address");
    expect(record?.error?.message).toContain("name: Invalid input");
  });

  it("exits 2 on input that is not JSON, and on an unknown task", async () => {
    const notJson = jobEnv({ TASK_INPUT: "{email:" });
    expect(await startRunner(notJson.env).exited).toBe(2);
    expect((await results.read(notJson.ref))?.error?.message).toContain(
      "the input in TASK_INPUT is not valid JSON",
    );

    const unknown = jobEnv({}, { task: "email.send_birthday_card" });
    expect(await startRunner(unknown.env).exited).toBe(2);
    const unknownError = (await results.read(unknown.ref))?.error;
    expect(unknownError).toMatchObject({ type: "UnknownTask", retryable: false });
    expect(unknownError?.message).toContain('no task named "email.send_birthday_card" (TASK_RUN.task)');
    expect(unknownError?.message).toContain("email.send_welcome_email");

    // Started by hand with the single variables, the message names the one that was set.
    const { TASK_RUN: byHandContext, ...byHandRest } = unknown.env;
    const byHand = JSON.parse(byHandContext ?? "{}") as TaskRunContext;
    const byHandEnv = {
      ...byHandRest,
      TASK_NAME: byHand.task,
      TASKRUN_NAMESPACE: byHand.namespace,
      TASKRUN_NAME: `${byHand.name}-by-hand`,
      TASK_ATTEMPT: "1",
    };
    expect(await startRunner(byHandEnv).exited).toBe(2);
    expect(
      (await results.read({ namespace: byHand.namespace, name: `${byHand.name}-by-hand` }))?.error?.message,
    ).toContain('no task named "email.send_birthday_card" (TASK_NAME)');
  });

  it("on SIGTERM aborts the task's signal, records Aborted and exits 1", async () => {
    sink.stall();
    const { env, ref } = jobEnv();
    const runner = startRunner(env);
    await runner.waitForLine("task started");
    await new Promise((r) => setTimeout(r, 300));
    runner.child.kill("SIGTERM");

    expect(await runner.exited).toBe(1);
    const record = await results.read(ref);
    expect(record).toMatchObject({ status: "failed", error: { type: "Aborted", retryable: true } });
    expect(record?.error?.message).toContain("SIGTERM");
    expect(sink.mails).toHaveLength(0);
  });

  it("at the soft time limit aborts the task's signal and records SoftTimeLimitExceeded", async () => {
    sink.stall();
    const { env, ref } = jobEnv({}, { softTimeoutSeconds: 1 });
    const started = Date.now();
    expect(await startRunner(env).exited).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(await results.read(ref)).toMatchObject({
      status: "failed",
      error: {
        type: "SoftTimeLimitExceeded",
        retryable: true,
        message: expect.stringContaining("soft time limit of 1 s"),
      },
    });
  });

  it("exits 1 when the result cannot be written to Redis", async () => {
    const deadPort = await freePort();
    const { env } = jobEnv({ REDIS_URL: `redis://127.0.0.1:${deadPort}` });
    const runner = startRunner(env);
    expect(await runner.exited).toBe(1);
    expect(
      runner.lines.some((l) => l.level === "error" && String(l.msg).includes("failing it as retryable")),
    ).toBe(true);
    expect(sink.mails).toHaveLength(0);
  });

  it("exits 2 on invalid runner configuration, naming the variable", async () => {
    const { env } = jobEnv({ RESULT_TTL_SECONDS: "one day" });
    const runner = startRunner(env);
    expect(await runner.exited).toBe(2);
    expect(String(runner.lines[0]?.msg)).toContain("RESULT_TTL_SECONDS");
  });

  it("runs a task whose native library stays outside the bundle (sharp, from node_modules)", async () => {
    const artifactsDir = mkdtempSync(join(tmpdir(), "runner-artifacts-"));
    try {
      const image = await sharp({ create: { width: 60, height: 30, channels: 3, background: "#00a" } })
        .png()
        .toBuffer();
      const { env, ref } = jobEnv(
        {
          TASK_INPUT: JSON.stringify({
            source: { base64: image.toString("base64") },
            sizes: [16],
            formats: ["png"],
          }),
          ARTIFACTS_DIR: artifactsDir,
        },
        { task: "models.generate_model_thumbnail" },
      );
      expect(await startRunner(env).exited).toBe(0);
      const record = await results.read(ref);
      expect(record?.output).toMatchObject({
        source: { format: "png", width: 60, height: 30 },
        thumbnails: [{ size: 16, format: "png", width: 16, height: 16 }],
      });
    } finally {
      rmSync(artifactsDir, { recursive: true, force: true });
    }
  });
});
