// The HTTP API router's answers to requests it cannot serve (a body that is not JSON, a path it
// does not have), on a loopback express app with an access review and TaskRun store in memory.
import type { Server } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import type { AccessReview } from "../../../src/operator/http-api/access.ts";
import { addressKey } from "../../../src/operator/http-api/rate-limit.ts";
import { answerUnknownRoute, createTaskApiRouter } from "../../../src/operator/http-api/router.ts";
import { jsonLogger } from "../../../src/operator/log.ts";
import { builtInTasks } from "../../../src/runners/registry.ts";
import type { TaskRunApi } from "../../../src/sdk/taskruns.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions.
type Json = Record<string, any>;

const TOKEN = "good";
const access: AccessReview = {
  authenticate: async (token) => (token === TOKEN ? { username: "tester", groups: [] } : null),
  authorize: async () => true,
};
const created: TaskRun[] = [];
const taskRuns = {
  async create(taskRun: TaskRun) {
    const stored = { ...taskRun, metadata: { ...taskRun.metadata, name: taskRun.metadata.name ?? "run-1" } };
    created.push(stored);
    return stored;
  },
} as unknown as TaskRunApi;

let server: Server;
let base: string;

beforeAll(async () => {
  // As server.ts serves it: the router, then the same 404 for every other path.
  const app = express();
  app.use(createTaskApiRouter({ taskRuns, access, tasks: builtInTasks, defaultNamespace: "tasks" }));
  app.use(answerUnknownRoute);
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function call(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: (await response.json()) as Json,
  };
}

const SUBMIT = "/v1/tasks/email.send_welcome_email";
const welcome = { input: { email: "ada@example.com", name: "Ada" } };

describe("request bodies", () => {
  it("answers 415 to a form body instead of reading it as an empty one", async () => {
    const form = await call("POST", SUBMIT, {
      body: "input=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(form.body).toEqual({
      error: "UnsupportedMediaType",
      message:
        'the request body must be JSON with Content-Type: application/json, not "application/x-www-form-urlencoded"',
    });
  });

  it("answers 415 to JSON text sent as text/plain or without a Content-Type", async () => {
    const text = await call("POST", SUBMIT, {
      body: JSON.stringify(welcome),
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect(text.body.message).toContain('not "text/plain"');
    // fetch labels a string body text/plain itself; a Blob without a type goes out with none.
    const untyped = await fetch(`${base}${SUBMIT}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new Blob([JSON.stringify(welcome)]),
    });
    expect(untyped.status).toBe(415);
    expect(((await untyped.json()) as Json).message).toContain("not a body without Content-Type");
  });

  it("answers 415 to a JSON body in a charset other than UTF-8", async () => {
    const latin1 = await call("POST", SUBMIT, {
      body: JSON.stringify(welcome),
      headers: { "content-type": "application/json; charset=latin1" },
    });
    expect(latin1.status).toBe(415);
    expect(latin1.body).toMatchObject({
      error: "UnsupportedMediaType",
      message: expect.stringContaining("LATIN1"),
    });
  });

  it("still reads a JSON body, and a request without a body as an empty one", async () => {
    const submitted = await call("POST", SUBMIT, {
      body: JSON.stringify(welcome),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(submitted.status).toBe(201);
    expect(created.at(-1)?.spec.input).toEqual(welcome.input);
    const empty = await call("POST", SUBMIT, { headers: { "content-length": "0" } });
    expect(empty.status).toBe(400);
    expect(empty.body.problems.map((p: { field: string }) => p.field)).toEqual(["input.email", "input.name"]);
  });

  it("checks the token before the body", async () => {
    const response = await fetch(`${base}${SUBMIT}`, { method: "POST", body: "input=1" });
    expect(response.status).toBe(401);
  });
});

describe("paths and methods the API does not serve", () => {
  it("answers a JSON 404 under /v1 naming the request and the routes there are", async () => {
    const unknown = await call("GET", "/v1/taskrunz/tasks/x");
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toMatch(/^application\/json/);
    expect(unknown.body.error).toBe("NotFound");
    expect(unknown.body.message).toMatch(
      /^no route GET \/v1\/taskrunz\/tasks\/x; the API serves POST \/v1\/tasks\/\{task\}, /,
    );
    const wrongMethod = await call("PUT", SUBMIT, {
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    expect(wrongMethod.status).toBe(404);
    expect(wrongMethod.body.message).toContain(`no route PUT ${SUBMIT};`);
  });

  it("asks for a token under /v1 first, like every /v1 call", async () => {
    const response = await fetch(`${base}/v1/nothing-here`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as Json).error).toBe("Unauthorized");
  });

  it("answers a JSON 404 outside /v1 too", async () => {
    const outside = await call("GET", "/tasks");
    expect(outside.status).toBe(404);
    expect(outside.body).toMatchObject({
      error: "NotFound",
      message: expect.stringContaining("no route GET /tasks;"),
    });
  });
});

/** A router of its own on loopback, for tests that change its state (its failed-token budget). */
async function serve(deps: Partial<Parameters<typeof createTaskApiRouter>[0]>) {
  const app = express();
  app.use(createTaskApiRouter({ taskRuns, access, tasks: builtInTasks, defaultNamespace: "tasks", ...deps }));
  const own = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const address = own.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    async close() {
      own.closeAllConnections();
      await new Promise<void>((resolve) => own.close(() => resolve()));
    },
  };
}

describe("bodies the API refuses, named", () => {
  it("a JSON value that is not an object is refused as such", async () => {
    const text = await call("POST", SUBMIT, { body: '"x"', headers: { "content-type": "application/json" } });
    expect(text.status).toBe(400);
    expect(text.body.error).toBe("InvalidJson");
    expect(text.body.message).toMatch(/^the request body is not a JSON object: /);
  });

  it("a body over the limit is refused naming its size and the limit", async () => {
    const small = await serve({ bodyLimitBytes: 2048 });
    try {
      const body = JSON.stringify({ input: { email: "ada@example.com", name: "x".repeat(4000) } });
      const response = await fetch(`${small.url}${SUBMIT}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body,
      });
      expect(response.status).toBe(413);
      expect(((await response.json()) as Json).message).toBe(
        `the request body (${Buffer.byteLength(body)} bytes) is over the limit of 2048 bytes`,
      );
    } finally {
      await small.close();
    }
  });
});

describe("invalid tokens", () => {
  const limit = { perSecond: 1, burst: 10 };
  /** An access review that counts its TokenReviews and remembers its answers, like kubeAccessReview. */
  const countingAccess = () => {
    const answers = new Map<string, { username: string; groups: string[] } | null>();
    const counted = {
      reviews: 0,
      access: {
        cached: (token: string) => answers.get(token),
        authenticate: async (token: string) => {
          if (answers.has(token)) return answers.get(token) ?? null;
          counted.reviews++;
          const caller = token === TOKEN ? { username: "tester", groups: [] } : null;
          answers.set(token, caller);
          return caller;
        },
        authorize: async () => true,
      },
    };
    return counted;
  };

  it("past the budget of a client address, are refused with 429 before any TokenReview", async () => {
    const counted = countingAccess();
    const clock = new Date("2026-11-25T06:00:00Z");
    const api = await serve({ access: counted.access, unreviewedTokenLimit: limit, now: () => clock });
    try {
      const get = (token: string) =>
        fetch(`${api.url}/v1/tasks`, { headers: { authorization: `Bearer ${token}` } });
      // Sent all at once: the budget is spent before the reviews, so no more than it get through.
      const statuses = (await Promise.all(Array.from({ length: 14 }, (_, i) => get(`bad-${i}`)))).map(
        (r) => r.status,
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(limit.burst);
      expect(statuses.filter((s) => s === 429)).toHaveLength(14 - limit.burst);
      expect(counted.reviews).toBe(limit.burst);
      const refused = await get("bad-again");
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // A bad token already reviewed costs nothing: 401 again, with no review and no budget.
      expect((await get("bad-0")).status).toBe(401);
      expect(counted.reviews).toBe(limit.burst);
      // A second later one more token may be reviewed.
      clock.setTime(clock.getTime() + 1000);
      expect((await get("bad-later")).status).toBe(401);
      expect(counted.reviews).toBe(limit.burst + 1);
    } finally {
      await api.close();
    }
  });

  it("a valid token gives its budget back, so that valid clients never run out", async () => {
    const counted = countingAccess();
    const clock = new Date("2026-11-25T06:00:00Z");
    const api = await serve({ access: counted.access, unreviewedTokenLimit: limit, now: () => clock });
    try {
      for (let i = 0; i < limit.burst - 1; i++) {
        await fetch(`${api.url}/v1/tasks`, { headers: { authorization: `Bearer bad-${i}` } });
      }
      // One unit left: a valid token takes it and gives it back, so the next review still happens.
      const ok = await fetch(`${api.url}/v1/tasks`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      const last = await fetch(`${api.url}/v1/tasks`, { headers: { authorization: "Bearer bad-last" } });
      expect(last.status).toBe(401);
      expect(counted.reviews).toBe(limit.burst + 1);
    } finally {
      await api.close();
    }
  });

  it("are counted per client address: IPv4 (also IPv4-mapped) as is, IPv6 by its /64", () => {
    expect(addressKey("10.1.2.3")).toBe("10.1.2.3");
    expect(addressKey("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey(undefined)).toBe("unknown");
  });
});

describe("cancelling", () => {
  it("a run that has already ended is 409 AlreadyFinished", async () => {
    const finished = {
      cancel: async () => ({ cancelled: false, phase: "Succeeded" }),
    } as unknown as TaskRunApi;
    const api = await serve({ taskRuns: finished });
    try {
      const response = await fetch(`${api.url}/v1/taskruns/tasks/done`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(409);
      expect((await response.json()) as Json).toEqual({
        error: "AlreadyFinished",
        message: "TaskRun tasks/done already ended Succeeded: there is nothing to cancel",
      });
    } finally {
      await api.close();
    }
  });
});

describe("the access log", () => {
  it("has a line per request with the caller and status, never the token; a 5xx says why", async () => {
    const lines: string[] = [];
    const failing = {
      get: async () => {
        throw new Error("API server unreachable");
      },
    } as unknown as TaskRunApi;
    const api = await serve({ taskRuns: failing, log: jsonLogger((line) => lines.push(line)) });
    try {
      await fetch(`${api.url}/v1/tasks`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await fetch(`${api.url}/v1/taskruns/tasks/x`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await fetch(`${api.url}/v1/tasks`, { headers: { authorization: "Bearer not-a-token" } });
      const entries = lines.map((l) => JSON.parse(l) as Json);
      expect(entries.filter((e) => e.message === "request")).toEqual([
        expect.objectContaining({ method: "GET", path: "/v1/tasks", status: 200, caller: "tester" }),
        expect.objectContaining({
          method: "GET",
          path: "/v1/taskruns/tasks/x",
          status: 502,
          caller: "tester",
        }),
        expect.objectContaining({ method: "GET", path: "/v1/tasks", status: 401 }),
      ]);
      expect(entries.find((e) => e.message === "request failed")).toMatchObject({
        level: "error",
        path: "/v1/taskruns/tasks/x",
        error: expect.stringContaining("API server unreachable"),
      });
      expect(lines.join("\n")).not.toContain(TOKEN);
      expect(lines.join("\n")).not.toContain("not-a-token");
    } finally {
      await api.close();
    }
  });
});
