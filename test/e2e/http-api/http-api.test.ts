// The HTTP API on the local cluster: real service-account tokens (TokenRequest API) checked with
// TokenReview, real RBAC Roles checked with SubjectAccessReview, TaskRuns created in the real API
// server; 400/401/403/404/409/413/429 and the Idempotency-Key. No operator runs here: the result is
// written to Redis as the runner writes it, to show GET's result and ?wait=.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import { kubeAccessReview } from "../../../src/operator/http-api/access.ts";
import { createTaskApiRouter, SUBMITTED_BY_ANNOTATION } from "../../../src/operator/http-api/router.ts";
import { ResultsClient } from "../../../src/runners/results/index.ts";
import { TaskRunApi } from "../../../src/sdk/taskruns.ts";
import { kubeConfig, useTestNamespace } from "../../harness/kube.ts";
import {
  ensureTaskRunCrd,
  grantTaskRuns,
  serviceAccountToken,
  tasksWithTesting,
  writeFinalResult,
} from "../sdk/fixtures.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions.
type Json = Record<string, any>;

const ns = useTestNamespace("e2e-httpapi");
let base: string;
let server: Server;
let redis: Redis;
let submitter: string;
let reader: string;
let outsider: string;
const taskRuns = () => new TaskRunApi(kubeConfig());

function startApi(rateLimit = { perSecond: 1000, burst: 1000 }): Promise<Server> {
  const kc = kubeConfig();
  const app = express();
  app.use(
    createTaskApiRouter({
      taskRuns: new TaskRunApi(kc),
      access: kubeAccessReview(kc, 0),
      tasks: tasksWithTesting,
      results: new ResultsClient(redis),
      defaultNamespace: ns.name,
      bodyLimitBytes: 100_000,
      rateLimit,
    }),
  );
  return new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
}
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

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

beforeAll(async () => {
  await ensureTaskRunCrd();
  redis = new Redis(inject("redisUrl"));
  submitter = await serviceAccountToken(ns.name, "submitter");
  reader = await serviceAccountToken(ns.name, "reader");
  outsider = await serviceAccountToken(ns.name, "outsider");
  await grantTaskRuns(ns.name, "submitter", ["create", "get", "patch"]);
  await grantTaskRuns(ns.name, "reader", ["get"]);
  server = await startApi();
  base = urlOf(server);
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await redis?.quit();
});

describe("authentication and authorisation (TokenReview, SubjectAccessReview)", () => {
  test("no token or an invalid token is 401", async () => {
    const none = await call("POST", "/v1/tasks/email.send_welcome_email", undefined, { input: welcome });
    expect(none.status).toBe(401);
    const forged = await call("POST", "/v1/tasks/email.send_welcome_email", `${submitter.slice(0, -4)}AAAA`, {
      input: welcome,
    });
    expect(forged.status).toBe(401);
    expect(forged.body.message).toContain("TokenReview");
  });

  test("a valid token without a Role on taskruns is 403 for submit, read and cancel", async () => {
    const created = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, { input: welcome });
    expect(created.status).toBe(201);
    const submit = await call("POST", "/v1/tasks/email.send_welcome_email", outsider, { input: welcome });
    expect(submit.status).toBe(403);
    expect(submit.body.message).toContain(`system:serviceaccount:${ns.name}:outsider may not create`);
    const path = `/v1/taskruns/${ns.name}/${created.body.name}`;
    expect((await call("GET", path, outsider)).status).toBe(403);
    expect((await call("DELETE", path, outsider)).status).toBe(403);
  });

  test("a Role with only get may read but not submit nor cancel", async () => {
    const created = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, { input: welcome });
    const path = `/v1/taskruns/${ns.name}/${created.body.name}`;
    expect((await call("GET", path, reader)).status).toBe(200);
    expect(
      (await call("POST", "/v1/tasks/email.send_welcome_email", reader, { input: welcome })).status,
    ).toBe(403);
    expect((await call("DELETE", path, reader)).status).toBe(403);
  });

  test("permission is per namespace: the submitter may not create in another namespace", async () => {
    const other = await call("POST", "/v1/tasks/email.send_welcome_email", submitter, {
      input: welcome,
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
      namespace: ns.name,
      task: "email.send_welcome_email",
      created: true,
    });
    expect(response.headers.get("location")).toBe(`/v1/taskruns/${ns.name}/${response.body.name}`);
    const stored: TaskRun = await taskRuns().get({ namespace: ns.name, name: response.body.name });
    expect(stored.spec).toMatchObject({ task: "email.send_welcome_email", input: welcome, priority: 7 });
    expect(Date.parse(stored.spec.runAt ?? "") - Date.now()).toBeGreaterThan(3500_000);
    expect(stored.metadata.annotations?.[SUBMITTED_BY_ANNOTATION]).toBe(
      `system:serviceaccount:${ns.name}:submitter`,
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
  });

  test("404 for an unknown task, listing the known ones", async () => {
    const response = await call("POST", "/v1/tasks/email.send_welcom_email", submitter, { input: welcome });
    expect(response.status).toBe(404);
    expect(response.body.message).toContain("email.send_welcome_email");
  });

  test("the same Idempotency-Key gives the same TaskRun; a different input with it is 409", async () => {
    const key = `signup-${Date.now()}`;
    const first = await call(
      "POST",
      "/v1/tasks/email.send_welcome_email",
      submitter,
      { input: welcome },
      { "idempotency-key": key },
    );
    const again = await call(
      "POST",
      "/v1/tasks/email.send_welcome_email",
      submitter,
      { input: { name: "Ada", email: "ada@example.com" } },
      { "idempotency-key": key },
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: first.body.name, created: false });
    const conflict = await call(
      "POST",
      "/v1/tasks/email.send_welcome_email",
      submitter,
      { input: { ...welcome, name: "Bob" } },
      { "idempotency-key": key },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toContain(first.body.name);
    const all = await taskRuns().list(ns.name);
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

describe("reading and cancelling", () => {
  test("GET shows the status; ?wait= returns once the result is published", async () => {
    const created = await call("POST", "/v1/tasks/testing.noop", submitter, { input: {} });
    const ref = { namespace: ns.name, name: created.body.name as string };
    const before = await call("GET", `/v1/taskruns/${ref.namespace}/${ref.name}`, submitter);
    expect(before.body).toMatchObject({ ...ref, task: "testing.noop", cancel: false, result: null });
    const waiting = call("GET", `/v1/taskruns/${ref.namespace}/${ref.name}?wait=20`, submitter);
    await new Promise((r) => setTimeout(r, 500));
    await writeFinalResult(ref, "testing.noop", { output: { ok: true } });
    const after = await waiting;
    expect(after.status).toBe(200);
    expect(after.body.result).toMatchObject({ status: "succeeded", final: true, output: { ok: true } });
  });

  test("GET of a missing TaskRun is 404; a bad ?wait= is 400", async () => {
    expect((await call("GET", `/v1/taskruns/${ns.name}/does-not-exist`, submitter)).status).toBe(404);
    expect((await call("GET", `/v1/taskruns/${ns.name}/does-not-exist?wait=999`, submitter)).status).toBe(
      400,
    );
  });

  test("DELETE sets spec.cancel on the TaskRun", async () => {
    const created = await call("POST", "/v1/tasks/testing.noop", submitter, { input: {} });
    const cancelled = await call("DELETE", `/v1/taskruns/${ns.name}/${created.body.name}`, submitter);
    expect(cancelled.status).toBe(202);
    const stored = await taskRuns().get({ namespace: ns.name, name: created.body.name });
    expect(stored.spec.cancel).toBe(true);
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
        fetch(`${urlOf(limited)}/v1/tasks`, { headers: { authorization: `Bearer ${token}` } });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(submitter)).status);
      expect(statuses).toEqual([200, 200, 429]);
      const refused = await get(submitter);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await get(reader)).status).toBe(200);
    } finally {
      limited.closeAllConnections();
      await new Promise((r) => limited.close(r));
    }
  });
});
