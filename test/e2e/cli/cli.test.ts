// kubectl-task on the local cluster with the real operator and runner: submit (--wait), get,
// list --active/--scheduled/--failed, logs of an attempt's pod, wait, cancel and retry, with
// human tables and -o json/yaml; wait on a missing name, a bad -o refused before any create, get
// with Redis unreachable, and a warning for a --queue no TaskQueue has. The CLI runs as `bin/kubectl-task`, as kubectl would run it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, inject, test } from "vitest";
import { parse } from "yaml";
import { RETRY_OF_ANNOTATION } from "../../../src/cli/views.ts";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import { useTestNamespace } from "../../harness/kube.ts";
import { useOperator } from "../operator/helpers.ts";

const suite = useOperator("e2e-cli");
const BIN = join(import.meta.dirname, "../../../bin/kubectl-task");

/** A namespace no operator watches. */
const unwatched = useTestNamespace("e2e-cli-unwatched");

type Answer = { code: number; stdout: string; stderr: string };
const cli = (...args: string[]) => cliIn(suite.namespace, args);

function cliIn(
  namespace: string,
  args: string[],
  redis: "with Redis" | "no Redis" = "with Redis",
): Promise<Answer> {
  const { REDIS_URL: _, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(
      BIN,
      ["--kubeconfig", inject("kubeconfigPath"), "-n", namespace, ...args],
      {
        timeout: 150_000,
        env: {
          ...env,
          ...(redis === "with Redis" ? { REDIS_URL: inject("redisUrl") } : {}),
          RUNNER_ENABLE_TEST_TASKS: "1",
        },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

/**
 * The TaskRun name a `submit` printed. A failed submit fails here with its own stderr: an unchecked
 * one gave an empty name, and the next command (`cancel ""`) failed instead, printing nothing.
 */
function nameOf(submitted: Answer): string {
  const name = /taskrun\.tasks\.synthetiq\.io\/(\S+)/.exec(submitted.stdout)?.[1];
  if (submitted.code !== 0 || !name) {
    throw new Error(`submit failed (exit ${submitted.code}): ${submitted.stderr}${submitted.stdout}`);
  }
  return name;
}

describe("kubectl-task", () => {
  test("submit --queue warns when no TaskQueue has that name (a typo), and still submits", async () => {
    const typo = await cli("submit", "testing.noop", "--input", "{}", "--queue", "exprots");
    expect(typo.stderr).toBe(
      `warning: no TaskQueue "exprots" in namespace ${suite.namespace}: the run starts without a queue's concurrency limits and defaults (a typo?)\n`,
    );
    expect(typo.code).toBe(0);
    nameOf(typo);

    await suite.client.create(`/apis/tasks.synthetiq.io/v1alpha1/namespaces/${suite.namespace}/taskqueues`, {
      apiVersion: "tasks.synthetiq.io/v1alpha1",
      kind: "TaskQueue",
      metadata: { name: "exports" },
      spec: { concurrency: { min: 0, max: 3 } },
    });
    const governed = await cli("submit", "testing.noop", "--input", "{}", "--queue", "exports");
    expect(governed.stderr).toBe("");
    nameOf(governed);
  });

  test("submit --wait runs a task to success; get shows it as a table, JSON and YAML", async () => {
    const submitted = await cli("submit", "testing.noop", "--input", "{}", "--wait", "--timeout", "120");
    expect(submitted.stderr).toBe("");
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/ Succeeded output=\{"ok":true\}/);
    const name = nameOf(submitted);

    const table = await cli("get", name);
    const [header, row] = table.stdout.split("\n");
    expect(header).toMatch(/^NAME\s+TASK\s+QUEUE\s+PHASE\s+ATTEMPTS\s+AGE\s+DURATION/);
    expect(row?.split(/\s+/).slice(0, 5)).toEqual([name, "testing.noop", "testing", "Succeeded", "1"]);
    expect(table.stdout).toContain('Output: {"ok":true}');

    const json = JSON.parse((await cli("get", name, "-o", "json")).stdout) as TaskRun & {
      result: { output: unknown };
    };
    expect(json.status?.phase).toBe("Succeeded");
    expect(json.result.output).toEqual({ ok: true });
    const yaml = parse((await cli("get", name, "-o", "yaml")).stdout) as TaskRun;
    expect(yaml.metadata.name).toBe(name);

    // A finished run is reported finished whatever the timeout.
    const again = await cli("wait", name, "--timeout", "0");
    expect(again.stderr).toBe("");
    expect(again.stdout).toMatch(/ Succeeded output=\{"ok":true\}/);
    expect(again.code).toBe(0);

    // No Redis given: the run is shown, and where its output would be, why it is not.
    const noRedisGiven = await cliIn(suite.namespace, ["get", name], "no Redis");
    expect(noRedisGiven.code).toBe(0);
    expect(noRedisGiven.stdout).toContain("Output: result not read: set REDIS_URL or --redis-url");
    const waitedNoRedis = await cliIn(suite.namespace, ["wait", name], "no Redis");
    expect(waitedNoRedis.stdout).toContain(
      `${name} Succeeded (result not read: set REDIS_URL or --redis-url`,
    );

    // Redis unreachable: the TaskRun is still shown, with why the result is not, and no stack traces.
    const noRedis = await cli("get", name, "--redis-url", "redis://127.0.0.1:1");
    expect(noRedis.stderr).toBe("warning: result unavailable: Redis: connect ECONNREFUSED 127.0.0.1:1\n");
    expect(noRedis.stdout).toContain(`${name}   testing.noop`);
    expect(noRedis.code).toBe(0);
  });

  test("wait on a name that does not exist exits 1 at once, saying so", async () => {
    const started = Date.now();
    const waited = await cli("wait", "no-such-run");
    expect(waited.stderr).toBe(`error: TaskRun ${suite.namespace}/no-such-run not found\n`);
    expect(waited.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("a wait that times out says where the run stands: here, that no operator watches its namespace", async () => {
    const waited = await cliIn(unwatched.name, ["submit", "testing.noop", "--wait", "--timeout", "3"]);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(
      new RegExp(
        `^error: TaskRun ${unwatched.name}/testing-noop-[a-z0-9]{5} did not finish within 3 s: no operator has recorded a status for it \\(is one running and watching namespace ${unwatched.name}\\?\\)\n$`,
      ),
    );
  });

  test("retry refuses a run that was refused for its input: the same input would be refused again", async () => {
    await suite.client.create(`/apis/tasks.synthetiq.io/v1alpha1/namespaces/${suite.namespace}/taskruns`, {
      apiVersion: "tasks.synthetiq.io/v1alpha1",
      kind: "TaskRun",
      metadata: { name: "bad-input" },
      spec: { task: "email.send_welcome_email", input: { email: "nope" } },
    });
    expect((await cli("wait", "bad-input", "--timeout", "60")).code).toBe(1);
    const refused = await cli("retry", "bad-input");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("error: TaskRun bad-input never started: ");
    expect(refused.stderr).toContain("email");
    expect(refused.stderr).toContain("submit it again with a corrected input");
  });

  test("a bad -o is refused before anything is created (exit 2)", async () => {
    const count = async () =>
      (JSON.parse((await cli("list", "-o", "json")).stdout) as { items: TaskRun[] }).items.length;
    const before = await count();
    const refused = await cli("submit", "testing.noop", "-o", "bogus");
    expect(refused.stderr).toBe('error: -o/--output must be table, json or yaml, got "bogus"\n');
    expect(refused.code).toBe(2);
    expect(await count()).toBe(before);
  });

  test("a bad input is refused naming every field once, exit 1, nothing created", async () => {
    const refused = await cli("submit", "email.send_welcome_email", "--input", '{"email":"nope"}');
    expect(refused.code).toBe(1);
    expect(refused.stderr.match(/input\.email/g)).toHaveLength(1);
    expect(refused.stderr.match(/input\.name/g)).toHaveLength(1);
  });

  test("a failed run: wait exits 1 with the error, list --failed shows it, logs prints the attempt's pod log, retry makes a new run", async () => {
    const submitted = await cli("submit", "testing.exit", "--input", '{"code":2}');
    const name = nameOf(submitted);
    const waited = await cli("wait", name, "--timeout", "120");
    expect(waited.code).toBe(1);
    expect(waited.stdout).toContain(
      `${name} Failed PermanentError: testing.exit asked for a permanent failure`,
    );

    const failed = await cli("list", "--failed");
    expect(failed.stdout).toContain(name);
    const active = await cli("list", "--active");
    expect(active.stdout).not.toContain(name);

    const logs = await cli("logs", name, "--attempt", "1");
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("testing.exit asked for a permanent failure");
    const missing = await cli("logs", name, "--attempt", "7");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no pod for attempt 7");

    const retried = await cli("retry", name, "-o", "json");
    expect(retried.code, retried.stderr).toBe(0);
    const retry = JSON.parse(retried.stdout) as TaskRun;
    expect(retry.metadata.name).not.toBe(name);
    expect(retry.spec).toMatchObject({ task: "testing.exit", input: { code: 2 } });
    expect(retry.metadata.annotations?.[RETRY_OF_ANNOTATION]).toBe(name);

    // A retry of the retry replaces its -r-xxxxx: the name does not grow.
    const retryName = retry.metadata.name ?? "";
    expect(retryName).toMatch(new RegExp(`^${name}-r-[a-z0-9]{5}$`));
    expect((await cli("wait", retryName, "--timeout", "120")).code).toBe(1);
    const again = await cli("retry", retryName, "-o", "json");
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as TaskRun;
    expect(second.metadata.name).toMatch(new RegExp(`^${name}-r-[a-z0-9]{5}$`));
    expect(second.metadata.annotations?.[RETRY_OF_ANNOTATION]).toBe(retryName);
  });

  test("retry and cancel refuse a run that succeeded", async () => {
    const submitted = await cli("submit", "testing.noop", "--wait");
    const refused = await cli("retry", nameOf(submitted));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("only a Failed, Expired or Cancelled run can be retried");
    // Nor is it cancelled: it has ended, and stays as it ended.
    const cancel = await cli("cancel", nameOf(submitted));
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toBe(
      `error: TaskRun ${suite.namespace}/${nameOf(submitted)} already ended Succeeded: there is nothing to cancel\n`,
    );
    const after = JSON.parse((await cli("get", nameOf(submitted), "-o", "json")).stdout) as TaskRun;
    expect(after.spec.cancel).toBeUndefined();
  });

  test("list --scheduled shows a run due later, not --active; cancel ends a running one Cancelled", async () => {
    const later = nameOf(await cli("submit", "testing.noop", "--countdown", "3600"));
    const sleeping = nameOf(await cli("submit", "testing.sleep", "--input", '{"seconds":120}'));
    const scheduled = await cli("list", "--scheduled", "-o", "json");
    const scheduledNames = (JSON.parse(scheduled.stdout) as { items: TaskRun[] }).items.map(
      (t) => t.metadata.name,
    );
    expect(scheduledNames).toContain(later);
    expect(scheduledNames).not.toContain(sleeping);
    const active = await cli("list", "--active");
    expect(active.stdout).toContain(sleeping);
    expect(active.stdout).not.toContain(later);

    const cancelled = await cli("cancel", sleeping);
    expect(cancelled.stdout, cancelled.stderr).toContain(`${sleeping} cancel requested`);
    const waited = await cli("wait", sleeping, "--timeout", "120");
    expect(waited.stdout).toContain(`${sleeping} Cancelled`);
    expect(waited.code).toBe(1);
  });
});
