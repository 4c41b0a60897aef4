// The HTTP API on the local cluster, run as it is deployed (`node dist/http-api.js`)
// beside the real operator: real service-account tokens (TokenRequest API) checked with
// TokenReview, real RBAC Roles checked with SubjectAccessReview; 400/401/403/404/409/413/415/429 and
// the Idempotency-Key; and submitted tasks really run (Job, runner pod, Redis result), so GET
// ?wait= answers with the runner's output or the task's error and DELETE stops a running task.
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import { SUBMITTED_BY_ANNOTATION } from "../../../src/operator/http-api/router.ts";
import { TaskRunApi } from "../../../src/sdk/taskruns.ts";
import { type RunningTaskApiProcess, startTaskApiProcess } from "../../harness/http-api.ts";
import { kubeConfig, waitFor } from "../../harness/kube.ts";
import { jobsOf, useOperator, waitForPhase } from "../operator/helpers.ts";
import { grantTaskRuns, serviceAccountToken } from "../sdk/fixtures.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions.
type Json = Record<string, any>;

const suite = useOperator("e2e-httpapi");
let api: RunningTaskApiProcess;
let base: string;
let submitter: string;
let reader: string;
let outsider: string;
const taskRuns = () => new TaskRunApi(kubeConfig());

function startApi(rate = { perSecond: 1000, burst: 1000 }) {
  return startTaskApiProcess({
    kubeconfigPath: inject("kubeconfigPath"),
    redisUrl: inject("redisUrl"),
    defaultNamespace: suite.namespace,
    env: {
      HTTP_API_BODY_LIMIT_BYTES: "100000",
      HTTP_API_RATE_PER_SECOND: String(rate.perSecond),
      HTTP_API_RATE_BURST: String(rate.burst),
      HTTP_API_AUTH_CACHE_SECONDS: "0",
    },
  });
}

async function call(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Json,
  };
}

const welcome = { email: "ada@example.com", name: "Ada" };
// The welcome mails submitted to test the API's answers are due in an hour: they are not run.
const later = { countdown: 3600 };

beforeAll(async () => {
  submitter = await serviceAccountToken(suite.namespace, "submitter");
  reader = await serviceAccountToken(suite.namespace, "reader");
  outsider = await serviceAccountToken(suite.namespace, "outsider");
  await grantTaskRuns(suite.namespace, "submitter", ["create", "get", "patch"]);
  await grantTaskRuns(suite.namespace, "reader", ["get"]);
  api = await startApi();
  base = api.url;
});

afterAll(async () => {
  await api?.stop();
});

describe("authentication and authorisation (TokenReview, SubjectAccessReview)", () => {
  test("no token or an invalid token is 401", async () => {
    const none = await call("POST", "/v1/tasks/email.send_welcome_email", undefined, {
      input: welcome,
      options: later,
    });
    expect(none.status).toBe(401);
    const forged = await call("POST", "/v1/tasks/email.send_welcome_email", `${submitter.slice(0, -4)}AAAA`, {
      input: welcome,
      options: later,
    });
    expect(forged.status).toBe(401);
    expect(forged.body.message).toContain("TokenReview");
  });

  test("invalid tokens past an address's budget are 429 before a TokenReview; a token already reviewed still passes", async () => {
    const limited = await startTaskApiProcess({
      kubeconfigPath: inject("kubeconfigPath"),
      redisUrl: inject("redisUrl"),
      defaultNamespace: suite.namespace,
      env: {
        HTTP_API_AUTH_FAILURES_PER_SECOND: "0.01",
        HTTP_API_AUTH_FAILURES_BURST: "3",
        HTTP_API_AUTH_CACHE_SECONDS: "120",
      },
    });
    try {
      const get = (token: string) =>
        fetch(`${limited.url}/v1/tasks`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        );
      // Reviewed once (real TokenReview), then known good.
      expect(await get(submitter)).toBe(200);
      // Six invalid tokens at once: three are reviewed (401), the budget is gone before the others.
      const tokens = Array.from({ length: 6 }, (_, i) => `not-a-token-${i}-${Date.now()}`);
      const statuses = await Promise.all(tokens.map(get));
      expect(statuses.filter((s) => s === 401)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(3);
      // A token already reviewed costs no review: invalid stays 401, valid stays 200.
      const reviewed = tokens[statuses.indexOf(401)] ?? "";
      expect(await get(reviewed)).toBe(401);
      expect(await get(submitter)).toBe(200);
      // One never reviewed is still refused before any review.
      expect(await get(`not-a-token-later-${Date.now()}`)).toBe(429);
    } finally {
      await limited.stop();
    }
  });

  test("a valid token without a Role on taskruns is 403 for submit, read and cancel", async () => {
    const created = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, {
      input: welcome,
      options: later,
    });
    expect(created.status).toBe(201);
    const submit = await call("POST", "/v1/tasks/email.send_welcome_email", outsider, {
      input: welcome,
      options: later,
    });
    expect(submit.status).toBe(403);
    expect(submit.body.message).toContain(`system:serviceaccount:${suite.namespace}:outsider may not create`);
    const path = `/v1/taskruns/${suite.namespace}/${created.body.name}`;
    expect((await call("GET", path, outsider)).status).toBe(403);
    expect((await call("DELETE", path, outsider)).status).toBe(403);
  });

  test("a Role with only get may read but not submit nor cancel", async () => {
    const created = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, {
      input: welcome,
      options: later,
    });
    const path = `/v1/taskruns/${suite.namespace}/${created.body.name}`;
    expect((await call("GET", path, reader)).status).toBe(200);
    expect(
      (await call("POST", "/v1/tasks/email.send_welcome_email", reader, { input: welcome, options: later }))
        .status,
    ).toBe(403);
    expect((await call("DELETE", path, reader)).status).toBe(403);
  });

  test("permission is per namespace: the submitter may not create in another namespace", async () => {
    const other = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, {
      input: welcome,
      options: later,
      namespace: "default",
    });
    expect(other.status).toBe(403);
  });
});

describe("submitting", () => {
  test("201 creates the TaskRun with the input and who submitted it", async () => {
    const response = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, {
      input: welcome,
      options: { priority: 7, countdown: 3600 },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      namespace: suite.namespace,
      task: "email.send_welcome_email",
      created: true,
    });
    expect(response.headers.get("location")).toBe(`/v1/taskruns/${suite.namespace}/${response.body.name}`);
    const stored: TaskRun = await taskRuns().get({ namespace: suite.namespace, name: response.body.name });
    expect(stored.spec).toMatchObject({ task: "email.send_welcome_email", input: welcome, priority: 7 });
    expect(Date.parse(stored.spec.runAt ?? "") - Date.now()).toBeGreaterThan(3500_000);
    expect(stored.metadata.annotations?.[SUBMITTED_BY_ANNOTATION]).toBe(
      `system:serviceaccount:${suite.namespace}:submitter`,
    );
  });

  test("400 names every bad field of the input and the options", async () => {
    const response = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, {
      input: { email: "not-an-email" },
      options: { priority: 5000, colour: "red" },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("InvalidInput");
    const fields = (response.body.problems as Array<{ field: string }>).map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining(["input.email", "input.name", "options.priority", "options"]),
    );
    expect(JSON.stringify(response.body.problems)).toContain("colour");
  });

  test("400 for a body that is not JSON, 413 over the size limit", async () => {
    expect((await call("POST", "/v1/tasks/email.send_welcome_email", submitter, "{not json")).status).toBe(
      400,
    );
    const big = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, {
      input: { email: "ada@example.com", name: "x".repeat(200_000) },
    });
    expect(big.status).toBe(413);
    expect(big.body.message).toMatch(/^the request body \(\d+ bytes\) is over the limit of 100000 bytes$/);
  });

  test("415 for a body that is not JSON (a form is not read as an empty body)", async () => {
    const form = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, "input=1", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(415);
    expect(form.body).toMatchObject({
      error: "UnsupportedMediaType",
      message: expect.stringContaining("must be JSON with Content-Type: application/json"),
    });
  });

  test("a JSON 404 for a route the API does not serve", async () => {
    const unknown = await call("GET", "/v1/taskrun", submitter);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/^application\/json/);
    expect(unknown.body).toMatchObject({
      error: "NotFound",
      message: expect.stringContaining("GET /v1/taskrun;"),
    });
  });

  test("404 for an unknown task, listing the known ones", async () => {
    const response = await call("POST", "/v1/tasks/email.send_welcom_email", submitter, {
      input: welcome,
      options: later,
    });
    expect(response.status).toBe(404);
    expect(response.body.message).toContain("email.send_welcome_email");
  });

  test("the same Idempotency-Key gives the same TaskRun; a different input with it is 409", async () => {
    const key = `signup-${Date.now()}`;
    const first = await call(
      "POST",
      "/v1/tasks/email.send_welcome_email",
      submitter,
      { input: welcome, options: later },
      { "idempotency-key": key },
    );
    const again = await call(
      "POST",
      "/v1/tasks/email.send_welcome_email",
      submitter,
      { input: { name: "Ada", email: "ada@example.com" }, options: later },
      { "idempotency-key": key },
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: first.body.name, created: false });
    const conflict = await call(
      "POST",
      "/v1/tasks/email.send_welcome_email",
      submitter,
      { input: { ...welcome, name: "Bob" }, options: later },
      { "idempotency-key": key },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toContain(first.body.name);
    const all = await taskRuns().list(suite.namespace);
    expect(all.filter((t) => t.spec.idempotencyKey === key)).toHaveLength(1);
  });

  test("concurrent submits with one Idempotency-Key create exactly one TaskRun", async () => {
    const key = `race-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        call("POST", "/v1/tasks/testing.noop", submitter, { input: {} }, { "idempotency-key": key }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(7);
    expect(new Set(answers.map((a) => a.body.name)).size).toBe(1);
  });
});

describe("reading and cancelling tasks that the operator runs", () => {
  const RUN_WAIT = 60;
  const path = (name: string) => `/v1/taskruns/${suite.namespace}/${name}`;

  test("GET shows the status; ?wait= answers with the runner's output once it is published", async () => {
    const created = await call("POST", "/v1/tasks/testing.noop", submitter, { input: {} });
    const ref = { namespace: suite.namespace, name: created.body.name as string };
    const before = await call("GET", path(ref.name), submitter);
    expect(before.body).toMatchObject({ ...ref, task: "testing.noop", cancel: false, result: null });
    const after = await call("GET", `${path(ref.name)}?wait=${RUN_WAIT}`, submitter);
    expect(after.status).toBe(200);
    expect(after.body.result).toMatchObject({
      status: "succeeded",
      final: true,
      attempt: 1,
      output: { ok: true },
    });
    // A Job of the operator's ran it, and the TaskRun ends Succeeded.
    expect(await jobsOf(suite.client, ref.namespace, ref.name)).toHaveLength(1);
    await waitForPhase(suite.client, ref.namespace, ref.name, ["Succeeded"]);
    expect((await call("GET", path(ref.name), reader)).body.status.phase).toBe("Succeeded");
    // Nothing left to cancel: 409, and the run is left as it ended.
    const cancelled = await call("DELETE", path(ref.name), submitter);
    expect(cancelled.status).toBe(409);
    expect(cancelled.body).toEqual({
      error: "AlreadyFinished",
      message: `TaskRun ${ref.namespace}/${ref.name} already ended Succeeded: there is nothing to cancel`,
    });
    expect((await call("GET", path(ref.name), reader)).body).toMatchObject({ cancel: false });
  });

  test("a failed task: ?wait= answers with phase Failed and the task's error type and message", async () => {
    const created = await call("POST", "/v1/tasks/testing.exit", submitter, { input: { code: 2 } });
    const answer = await call("GET", `${path(created.body.name)}?wait=${RUN_WAIT}`, submitter);
    expect(answer.status).toBe(200);
    expect(answer.body.status.phase).toBe("Failed");
    expect(answer.body.result).toMatchObject({
      status: "failed",
      final: true,
      error: {
        type: "PermanentError",
        message: "testing.exit asked for a permanent failure",
        retryable: false,
      },
    });
  });

  test("GET of a missing TaskRun is 404; a bad ?wait= is 400", async () => {
    expect((await call("GET", path("does-not-exist"), submitter)).status).toBe(404);
    expect((await call("GET", `${path("does-not-exist")}?wait=999`, submitter)).status).toBe(400);
  });

  test("DELETE stops a running task: it ends Cancelled and its runner records the abort", async () => {
    const created = await call("POST", "/v1/tasks/testing.sleep", submitter, { input: { seconds: 300 } });
    const name = created.body.name as string;
    // Running in the runner: GET's result is the attempt's "running" record.
    await waitFor(
      `the runner of ${name} to start the task`,
      () => call("GET", path(name), reader),
      (answer) => answer.body.result?.status === "running",
      120_000,
    );
    const started = Date.now();
    const cancelled = await call("DELETE", path(name), submitter);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toMatchObject({ namespace: suite.namespace, name, cancel: true });
    const answer = await call("GET", `${path(name)}?wait=${RUN_WAIT}`, submitter);
    expect(answer.body.cancel).toBe(true);
    expect(answer.body.status.phase).toBe("Cancelled");
    // The pod was stopped: the runner got the cancel's SIGTERM, long before its sleep would end.
    const stopped = await waitFor(
      `the runner of ${name} to record its abort`,
      () => call("GET", path(name), reader),
      (read) => read.body.result?.error?.type === "Aborted",
      RUN_WAIT * 1000,
    );
    expect(stopped.body.result).toMatchObject({ status: "failed", attempt: 1 });
    expect(Date.now() - started).toBeLessThan(RUN_WAIT * 1000);
  });
});

describe("catalogue, OpenAPI, rate limit", () => {
  test("GET /v1/tasks lists each task with its input JSON Schema", async () => {
    const response = await call("GET", "/v1/tasks", reader);
    const welcomeEntry = (response.body.tasks as Json[]).find((t) => t.name === "email.send_welcome_email");
    expect(welcomeEntry?.inputSchema.required).toEqual(expect.arrayContaining(["email", "name"]));
  });

  test("/openapi.json is OpenAPI 3.1 with a path per task whose body uses the task's schema", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    const post = doc.paths["/v1/tasks/email.send_welcome_email"].post;
    expect(post.requestBody.content["application/json"].schema.properties.input.properties.email.format).toBe(
      "email",
    );
    expect(Object.keys(post.responses)).toEqual(
      expect.arrayContaining(["201", "400", "401", "403", "404", "409", "429"]),
    );
  });

  test("a client over its rate gets 429 with Retry-After; another client is not affected", async () => {
    const limited = await startApi({ perSecond: 0.5, burst: 2 });
    try {
      const get = (token: string) =>
        fetch(`${limited.url}/v1/tasks`, { headers: { authorization: `Bearer ${token}` } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(submitter)).status);
      expect(statuses).toEqual([200, 200, 429]);
      const refused = await get(submitter);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await get(reader)).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
