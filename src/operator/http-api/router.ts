// The HTTP API as an express Router: submit a task (POST /v1/tasks/{name}), read a TaskRun with
// its result (GET /v1/taskruns/{namespace}/{name}), cancel it (DELETE), the catalogue
// (GET /v1/tasks) and the OpenAPI document (GET /openapi.json). Each call is authenticated with a
// TokenReview, rate limited per caller and authorised with a SubjectAccessReview; the TaskRun is
// then written with the server's own credentials, and the caller is recorded in an annotation.
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { catalogueEntry } from "../../runners/registry.ts";
import type { ResultsClient } from "../../runners/results/index.ts";
import type { TaskDefinition } from "../../runners/sdk/task.ts";
import {
  type FieldProblem,
  IdempotencyConflictError,
  TaskInputError,
  TaskRunNotFoundError,
  TaskWaitTimeoutError,
  UnknownTaskError,
} from "../../sdk/errors.ts";
import { TaskHandle } from "../../sdk/handle.ts";
import { inputProblems } from "../../sdk/submission.ts";
import { submitTask } from "../../sdk/submit.ts";
import type { TaskRunApi } from "../../sdk/taskruns.ts";
import { GROUP } from "../api/common.ts";
import type { TaskRun } from "../api/taskrun.ts";
import { KubeApiError } from "../kube/errors.ts";
import type { Logger } from "../log.ts";
import type { AccessReview, Caller, TaskRunAction } from "./access.ts";
import { openApiDocument } from "./openapi.ts";
import { addressKey, type RateLimit, TokenBuckets } from "./rate-limit.ts";
import { submitRequest } from "./schemas.ts";

/** On TaskRuns created through the API: the authenticated caller's username. */
export const SUBMITTED_BY_ANNOTATION = `${GROUP}/submitted-by`;
export const MAX_WAIT_SECONDS = 60;

export interface TaskApiDeps {
  /** TaskRun access with the server's own credentials. */
  taskRuns: TaskRunApi;
  access: AccessReview;
  tasks: ReadonlyMap<string, TaskDefinition>;
  /** Redis results, for GET's `result` and `?wait=`; without it `result` is always null. */
  results?: ResultsClient;
  defaultNamespace: string;
  /** Largest accepted JSON body in bytes (default 256 KiB; inline input itself is capped at 64 KiB). */
  bodyLimitBytes?: number;
  rateLimit?: RateLimit;
  /**
   * Tokens not yet reviewed per client address (each costs a TokenReview on the API server; a valid
   * one is given back), so that a flood of invalid tokens is refused with 429 before any review.
   */
  unreviewedTokenLimit?: RateLimit;
  /** One line per request (method, path, status, time, caller; never a token), and why for a 5xx. */
  log?: Logger;
  now?: () => Date;
}

class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: FieldProblem[] | undefined;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    extra: { problems?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = extra.problems;
    this.headers = extra.headers ?? {};
  }
}

/** Any error → the status and problem body the caller sees. */
function problemOf(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof TaskInputError) {
    return new HttpProblem(400, "InvalidInput", error.message, { problems: [...error.problems] });
  }
  if (error instanceof UnknownTaskError) return new HttpProblem(404, "UnknownTask", error.message);
  if (error instanceof TaskRunNotFoundError) return new HttpProblem(404, "NotFound", error.message);
  if (error instanceof IdempotencyConflictError)
    return new HttpProblem(409, "IdempotencyConflict", error.message);
  const body = error as { type?: string; status?: number; message?: string };
  if (body.type === "entity.too.large") {
    const { length, limit } = error as { length?: number; limit?: number };
    return new HttpProblem(
      413,
      "PayloadTooLarge",
      `the request body${length === undefined ? "" : ` (${length} bytes)`} is over the limit of ${limit} bytes`,
    );
  }
  // Also a body that is JSON but not an object or array, such as "x" (strict parsing).
  if (body.type === "entity.parse.failed")
    return new HttpProblem(400, "InvalidJson", `the request body is not a JSON object: ${body.message}`);
  if (body.type === "charset.unsupported" || body.type === "encoding.unsupported")
    return new HttpProblem(415, "UnsupportedMediaType", `request body: ${body.message}`);
  if (error instanceof KubeApiError && (error.status === 400 || error.status === 422)) {
    return new HttpProblem(400, "Rejected", error.message);
  }
  return new HttpProblem(
    502,
    "Upstream",
    `the request could not be completed: ${String((error as Error)?.message ?? error)}`,
  );
}

const issueProblem = (issue: { path: ReadonlyArray<PropertyKey>; message: string }): FieldProblem => ({
  field: issue.path.map(String).join(".") || "(body)",
  message: issue.message,
});

/** One problem per field (the body schema and the task's schema may both object to `input`). */
const uniqueByField = (problems: FieldProblem[]) =>
  problems.filter((p, i) => problems.findIndex((q) => q.field === p.field) === i);

/**
 * A body that is not JSON would be skipped by express.json and read as no body at all, answering
 * with the input's problems instead of the real one. An empty body (Content-Length: 0) is no body.
 */
function requireJsonBody(req: Request, _res: Response, next: NextFunction) {
  const hasContent =
    req.header("transfer-encoding") !== undefined || Number(req.header("content-length") ?? 0) > 0;
  if (hasContent && !req.is("application/json")) {
    const sent = req.header("content-type");
    throw new HttpProblem(
      415,
      "UnsupportedMediaType",
      `the request body must be JSON with Content-Type: application/json, not ${sent ? `"${sent}"` : "a body without Content-Type"}`,
    );
  }
  next();
}

const ROUTES =
  "POST /v1/tasks/{task}, GET /v1/tasks, GET or DELETE /v1/taskruns/{namespace}/{name}, GET /openapi.json";

/** The 404 for a path or method the API does not serve, in its error format rather than express's HTML page. */
export function answerUnknownRoute(req: Request, res: Response) {
  res.status(404).json({
    error: "NotFound",
    message: `no route ${req.method} ${req.baseUrl}${req.path}; the API serves ${ROUTES}`,
  });
}

const bearer = (req: Request) => /^Bearer\s+(\S+)$/i.exec(req.header("authorization") ?? "")?.[1];

function publicTaskRun(taskRun: TaskRun, result: unknown) {
  return {
    namespace: taskRun.metadata.namespace ?? "",
    name: taskRun.metadata.name ?? "",
    task: taskRun.spec.task,
    cancel: taskRun.spec.cancel === true,
    status: taskRun.status ?? {},
    result: result ?? null,
  };
}

export function createTaskApiRouter(deps: TaskApiDeps): Router {
  const router = express.Router();
  const buckets = deps.rateLimit ? new TokenBuckets(deps.rateLimit) : undefined;
  const unreviewed = deps.unreviewedTokenLimit ? new TokenBuckets(deps.unreviewedTokenLimit) : undefined;
  const catalogue = [...deps.tasks.values()].map(catalogueEntry).sort((a, b) => a.name.localeCompare(b.name));
  const openapi = openApiDocument(deps.tasks);
  const callers = new WeakMap<Request, Caller>();

  const authenticate = async (req: Request, _res: Response, next: NextFunction) => {
    const token = bearer(req);
    if (!token)
      throw new HttpProblem(
        401,
        "Unauthorized",
        "an Authorization: Bearer <kubernetes token> header is required",
      );
    const nowMs = (deps.now?.() ?? new Date()).getTime();
    // Only a token that needs a TokenReview spends the address's budget, before the review (so
    // that requests sent at once cannot all pass), and a valid one gives it back.
    const address = addressKey(req.socket.remoteAddress);
    const reviewed = unreviewed !== undefined && deps.access.cached?.(token) === undefined;
    if (reviewed) {
      const decision = unreviewed.take(address, nowMs);
      if (!decision.allowed) {
        throw new HttpProblem(
          429,
          "TooManyRequests",
          `too many invalid tokens from ${address}: ${deps.unreviewedTokenLimit?.perSecond}/s allowed`,
          { headers: { "Retry-After": String(decision.retryAfterSeconds) } },
        );
      }
    }
    let caller: Caller | null | undefined;
    try {
      caller = await deps.access.authenticate(token);
    } finally {
      // Only an invalid token keeps the budget spent: a valid one, or no verdict (the API server
      // failed), gives it back.
      if (reviewed && caller !== null) unreviewed.giveBack(address);
    }
    if (!caller) {
      throw new HttpProblem(401, "Unauthorized", "the bearer token is not valid (TokenReview refused it)");
    }
    const decision = buckets?.take(caller.username, nowMs);
    if (decision && !decision.allowed) {
      throw new HttpProblem(
        429,
        "TooManyRequests",
        `rate limit of ${deps.rateLimit?.perSecond}/s exceeded for ${caller.username}`,
        {
          headers: { "Retry-After": String(decision.retryAfterSeconds) },
        },
      );
    }
    callers.set(req, caller);
    next();
  };

  const authorize = async (req: Request, action: TaskRunAction): Promise<Caller> => {
    const caller = callers.get(req) as Caller;
    if (!(await deps.access.authorize(caller, action))) {
      const target = `taskruns.${GROUP}${action.name ? ` "${action.name}"` : ""} in namespace "${action.namespace}"`;
      throw new HttpProblem(403, "Forbidden", `${caller.username} may not ${action.verb} ${target}`);
    }
    return caller;
  };

  const param = (req: Request, key: string) => String(req.params[key]);

  if (deps.log) {
    const log = deps.log;
    router.use((req, res, next) => {
      const started = performance.now();
      // "close" comes for every request, also one the client gave up on (a long ?wait=).
      res.once("close", () => {
        const caller = callers.get(req);
        log.info("request", {
          method: req.method,
          path: req.baseUrl + req.path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          ...(caller ? { caller: caller.username } : {}),
          ...(res.writableFinished ? {} : { aborted: true }),
        });
      });
      next();
    });
  }

  router.get("/openapi.json", (_req, res) => {
    res.json(openapi);
  });

  router.use("/v1", authenticate, requireJsonBody, express.json({ limit: deps.bodyLimitBytes ?? 262_144 }));

  router.get("/v1/tasks", (_req, res) => {
    res.json({ tasks: catalogue });
  });

  router.post("/v1/tasks/:name", async (req, res) => {
    const task = param(req, "name");
    const body: unknown = req.body ?? {};
    const parsed = submitRequest.safeParse(body);
    const namespace = (parsed.success ? parsed.data.namespace : undefined) ?? deps.defaultNamespace;
    const caller = await authorize(req, { verb: "create", namespace });
    const definition = deps.tasks.get(task);
    if (!definition) throw new UnknownTaskError(task, [...deps.tasks.keys()].sort());
    const idempotencyKey = req.header("idempotency-key");
    const problems: FieldProblem[] = parsed.success ? [] : parsed.error.issues.map(issueProblem);
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 253)) {
      problems.push({ field: "header Idempotency-Key", message: "must be 1 to 253 characters" });
    }
    if (problems.length > 0) {
      // The input's own problems too, so that one round trip names every bad field.
      const input = (body as { input?: unknown }).input ?? {};
      throw new TaskInputError(task, uniqueByField([...problems, ...inputProblems(definition.input, input)]));
    }
    if (!parsed.success) throw new Error("unreachable: a failed parse has problems");
    const { input, options } = parsed.data;
    const submitted = await submitTask(
      { taskRuns: deps.taskRuns, tasks: deps.tasks, ...(deps.now ? { now: deps.now } : {}) },
      task,
      input,
      {
        ...options,
        namespace,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        annotations: { [SUBMITTED_BY_ANNOTATION]: caller.username.slice(0, 253) },
      },
    );
    const ref = {
      namespace: submitted.taskRun.metadata.namespace ?? namespace,
      name: submitted.taskRun.metadata.name ?? "",
    };
    res
      .status(submitted.created ? 201 : 200)
      .location(`/v1/taskruns/${ref.namespace}/${ref.name}`)
      .json({ ...ref, task, created: submitted.created });
  });

  router.get("/v1/taskruns/:namespace/:name", async (req, res) => {
    const ref = { namespace: param(req, "namespace"), name: param(req, "name") };
    await authorize(req, { verb: "get", ...ref });
    const waitSeconds = Number(req.query.wait ?? 0);
    if (!(Number.isInteger(waitSeconds) && waitSeconds >= 0 && waitSeconds <= MAX_WAIT_SECONDS)) {
      throw new TaskInputError("GET taskrun", [
        { field: "query wait", message: `must be an integer from 0 to ${MAX_WAIT_SECONDS} (seconds)` },
      ]);
    }
    let taskRun = await deps.taskRuns.get(ref);
    if (waitSeconds > 0) {
      try {
        const outcome = await new TaskHandle(ref, deps.taskRuns, deps.results).wait({
          timeout: waitSeconds * 1000,
        });
        if (outcome.taskRun) taskRun = outcome.taskRun;
        else taskRun = await deps.taskRuns.get(ref);
      } catch (error) {
        if (!(error instanceof TaskWaitTimeoutError)) throw error;
        taskRun = await deps.taskRuns.get(ref);
      }
    }
    const result = (await deps.results?.read(ref)) ?? null;
    const {
      task: _task,
      taskRun: _ref,
      progress: _progress,
      ...record
    } = result ?? ({} as Record<string, unknown>);
    res.json(publicTaskRun(taskRun, result ? record : null));
  });

  router.delete("/v1/taskruns/:namespace/:name", async (req, res) => {
    const ref = { namespace: param(req, "namespace"), name: param(req, "name") };
    await authorize(req, { verb: "patch", ...ref });
    const outcome = await deps.taskRuns.cancel(ref);
    if (!outcome.cancelled) {
      throw new HttpProblem(
        409,
        "AlreadyFinished",
        `TaskRun ${ref.namespace}/${ref.name} already ended ${outcome.phase}: there is nothing to cancel`,
      );
    }
    res.status(202).json({ ...ref, cancel: true });
  });

  router.use("/v1", answerUnknownRoute);

  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = problemOf(error);
    if (problem.status >= 500) {
      deps.log?.error("request failed", {
        method: req.method,
        path: req.baseUrl + req.path,
        error: problem.message,
      });
    }
    res
      .status(problem.status)
      .set(problem.headers)
      .json({
        error: problem.code,
        message: problem.message,
        ...(problem.problems ? { problems: problem.problems } : {}),
      });
  });

  return router;
}
