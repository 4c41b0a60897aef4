// kubectl-task as a process (bin/kubectl-task) against a stand-in API server on loopback that
// records every request: exit codes and messages, that a bad flag is refused before any API call,
// that wait reports a finished run whatever --timeout and a missing one at once, that get shows the
// TaskRun when Redis is unreachable, and that logs says a finished run's pod is gone.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

const BIN = join(import.meta.dirname, "../../../bin/kubectl-task");
const RUNS = "/apis/tasks.synthetiq.io/v1alpha1/namespaces/apps/taskruns";

const finished = {
  apiVersion: "tasks.synthetiq.io/v1alpha1",
  kind: "TaskRun",
  metadata: {
    name: "done",
    namespace: "apps",
    resourceVersion: "7",
    creationTimestamp: "2026-03-01T12:00:00Z",
  },
  spec: { task: "testing.noop", input: {} },
  status: {
    phase: "Succeeded",
    attemptCount: 1,
    attempts: [{ attempt: 1, job: "done-a1", pod: "done-a1-pod" }],
  },
};

const notFound = (what: string) => ({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  reason: "NotFound",
  code: 404,
  message: `${what} not found`,
});

let server: Server;
let dir: string;
let kubeconfig: string;
const requests: string[] = [];

function answer(method: string, url: string, body: string): [number, unknown] {
  if (method === "GET" && url === `${RUNS}/done`) return [200, finished];
  if (method === "GET" && url === `${RUNS}/missing`) return [404, notFound('taskruns "missing"')];
  // wait lists the one name (its resourceVersion is the collection's, to watch from).
  if (method === "GET" && url.startsWith(`${RUNS}?`)) {
    const name = new URL(url, "http://stand-in").searchParams
      .get("fieldSelector")
      ?.replace("metadata.name=", "");
    return [
      200,
      { kind: "List", metadata: { resourceVersion: "30" }, items: name === "done" ? [finished] : [] },
    ];
  }
  if (method === "GET" && url.startsWith("/api/v1/namespaces/apps/pods/done-a1-pod/log")) {
    return [404, notFound('pods "done-a1-pod"')];
  }
  if (method === "POST" && url === RUNS) {
    const created = JSON.parse(body) as { metadata: Record<string, unknown> };
    return [201, { ...created, metadata: { ...created.metadata, name: "created-1", resourceVersion: "8" } }];
  }
  return [
    500,
    { kind: "Status", code: 500, reason: "InternalError", message: `unexpected ${method} ${url}` },
  ];
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      requests.push(`${request.method} ${request.url?.split("?")[0]}`);
      const [status, json] = answer(request.method ?? "", request.url ?? "", body);
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  dir = mkdtempSync(join(tmpdir(), "kubectl-task-cli-"));
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: stand-in
  cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }
users:
- name: admin
  user: { token: t }
contexts:
- name: stand-in
  context: { cluster: stand-in, user: admin, namespace: apps }
current-context: stand-in
`,
  );
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  requests.length = 0;
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** bin/kubectl-task with `args`, without the caller's KUBECONFIG and REDIS_URL. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const { KUBECONFIG: _k, REDIS_URL: _r, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(BIN, args, { timeout: 30_000, env: { ...inherited, ...env } }, (error, stdout, stderr) =>
      resolve({
        code: error ? Number(error.code ?? 1) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      }),
    );
  });
}

const withConfig = (...args: string[]) => cli(["--kubeconfig", kubeconfig, ...args]);
const WELCOME = '{"email":"ada@example.com","name":"Ada"}';

describe("kubectl-task against a stand-in API server", { timeout: 60_000 }, () => {
  test("submit -o bogus is refused before the TaskRun is created (exit 2); -o json creates it", async () => {
    const refused = await withConfig("submit", "email.send_welcome_email", "--input", WELCOME, "-o", "bogus");
    expect(refused.stderr).toBe('error: -o/--output must be table, json or yaml, got "bogus"\n');
    expect(refused.code).toBe(2);
    expect(requests).toEqual([]);

    const created = await withConfig("submit", "email.send_welcome_email", "--input", WELCOME, "-o", "json");
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ metadata: { name: "created-1" } });
    expect(requests).toEqual([`POST ${RUNS}`]);
  });

  test("usage errors exit 2 and name the problem: an unknown option, --timeout out of range, an empty idempotency key", async () => {
    const unknown = await withConfig("list", "--bogus");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const timeout = await withConfig("wait", "done", "--timeout=-1");
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/^error: --timeout must be a number of seconds from 0 to \d+/);
    const key = await withConfig("submit", "testing.noop", "--idempotency-key", "");
    expect(key.code).toBe(2);
    expect(key.stderr).toContain("--idempotency-key needs a value");
    expect(requests).toEqual([]);
  });

  test("a bad input's problems are printed once (exit 1)", async () => {
    const refused = await withConfig("submit", "email.send_welcome_email", "--input", '{"email":"nope"}');
    expect(refused.code).toBe(1);
    expect(refused.stderr.split("input.email").length - 1).toBe(1);
    expect(refused.stderr.split("input.name").length - 1).toBe(1);
  });

  test("wait --timeout 0 on a finished run reports it finished; wait on a missing name fails at once", async () => {
    const done = await withConfig("wait", "done", "--timeout", "0");
    expect(done.stderr).toBe("");
    // No Redis given: the output is not read, and the line says so.
    expect(done.stdout).toBe(
      "taskrun.tasks.synthetiq.io/done Succeeded (result not read: set REDIS_URL or --redis-url to read it from Redis)\n",
    );
    expect(done.code).toBe(0);

    const missing = await withConfig("wait", "missing");
    expect(missing.stderr).toBe("error: TaskRun apps/missing not found\n");
    expect(missing.code).toBe(1);
    expect(requests).toEqual([`GET ${RUNS}`, `GET ${RUNS}`]);
  });

  test("get shows the TaskRun when Redis is unreachable, with why the result is missing, exit 0", async () => {
    const got = await withConfig("get", "done", "--redis-url", "redis://127.0.0.1:1");
    expect(got.stderr).toBe("warning: result unavailable: Redis: connect ECONNREFUSED 127.0.0.1:1\n");
    expect(got.stdout).toMatch(/^NAME\s+TASK.*\ndone\s+testing\.noop\s+Succeeded\s+1/);
    expect(got.code).toBe(0);
  });

  test("logs of a finished run whose pod was removed says so and exits 1", async () => {
    const logs = await withConfig("logs", "done");
    expect(logs.stderr).toBe(
      "error: the pod of attempt 1 of TaskRun done is gone: the run ended Succeeded and its pods were removed\n",
    );
    expect(logs.code).toBe(1);
  });

  test("--context not in the kubeconfig (exit 2) and no kubeconfig at all (exit 1) say what is wrong", async () => {
    const context = await withConfig("list", "--context", "nope");
    expect(context.stderr).toBe(
      `error: context "nope" is not in the kubeconfig (${kubeconfig}); its contexts: stand-in\n`,
    );
    expect(context.code).toBe(2);

    const none = await cli(["list"], { HOME: dir });
    expect(none.stderr).toContain(`error: no kubeconfig found: KUBECONFIG is not set, ${dir}/.kube/config`);
    expect(none.code).toBe(1);
  });
});
