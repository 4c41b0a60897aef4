// The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas the router
// validates with and from each task's input/output JSON Schema in the registry's catalogue.
import { z } from "zod";
import { catalogueEntry } from "../../runners/registry.ts";
import type { TaskDefinition } from "../../runners/sdk/task.ts";
import {
  cancelResponse,
  problemResponse,
  submitOptions,
  submitResponse,
  taskRunResponse,
} from "./schemas.ts";

type Json = Record<string, unknown>;

const schema = (s: z.ZodType, io: "input" | "output" = "output") => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Json;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schemaObject: Json, description: string) => ({
  description,
  content: { "application/json": { schema: schemaObject } },
});
const problem = (description: string) => json(ref("Problem"), description);
/** What any /v1 call may answer: authentication, the rate limits, a Kubernetes API that failed. */
const callErrors = {
  "401": problem("no bearer token, or the token is not valid (TokenReview)"),
  "429": {
    ...problem("too many requests from this caller, or too many invalid tokens from this address"),
    headers: { "Retry-After": { schema: { type: "integer" }, description: "seconds to wait" } },
  },
  "502": problem("the Kubernetes API (or Redis) could not complete the request"),
};
/** And for calls on taskruns, which the caller's RBAC decides. */
const bearerErrors = {
  ...callErrors,
  "403": problem("the caller may not do this on taskruns in this namespace (SubjectAccessReview)"),
};

function submitPath(definition: TaskDefinition): Json {
  const entry = catalogueEntry(definition);
  const { $schema: _, ...inputSchema } = entry.inputSchema;
  return {
    post: {
      operationId: `submit_${definition.name.replace(/\./g, "_")}`,
      summary: definition.description,
      tags: [entry.queue],
      parameters: [
        {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          schema: { type: "string", minLength: 1, maxLength: 253 },
          description: "The same key (per namespace and task) gives the same TaskRun, never a second one.",
        },
      ],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              type: "object",
              additionalProperties: false,
              required: ["input"],
              properties: {
                input: inputSchema,
                namespace: { type: "string" },
                options: ref("SubmitOptions"),
              },
            },
          },
        },
      },
      responses: {
        "201": json(ref("Submitted"), "the TaskRun was created"),
        "200": json(
          ref("Submitted"),
          "an earlier request with the same Idempotency-Key, task and input (its options stand: a repeat's are not applied)",
        ),
        "400": problem("every bad field of the input or the options"),
        "404": problem("unknown task"),
        "409": problem("the Idempotency-Key was used before with a different input"),
        "413": problem("request body over the size limit"),
        "415": problem("the request body is not JSON (Content-Type must be application/json)"),
        ...bearerErrors,
      },
    },
  };
}

export function openApiDocument(tasks: ReadonlyMap<string, TaskDefinition>, serverUrl?: string): Json {
  const sorted = [...tasks.values()].sort((a, b) => a.name.localeCompare(b.name));
  const taskRunPath = {
    parameters: [
      { name: "namespace", in: "path", required: true, schema: { type: "string" } },
      { name: "name", in: "path", required: true, schema: { type: "string" } },
    ],
    get: {
      operationId: "get_taskrun",
      summary: "The TaskRun's status and its latest result record",
      parameters: [
        {
          name: "wait",
          in: "query",
          required: false,
          schema: { type: "integer", minimum: 0, maximum: 60 },
          description: "Wait up to this many seconds for the run to finish before answering.",
        },
      ],
      responses: {
        "200": json(ref("TaskRun"), "the TaskRun"),
        "400": problem("?wait= is not an integer from 0 to 60"),
        "404": problem("no such TaskRun"),
        ...bearerErrors,
      },
    },
    delete: {
      operationId: "cancel_taskrun",
      summary: "Cancels the run (sets spec.cancel; the operator stops its pod)",
      responses: {
        "202": json(ref("Cancelled"), "cancel requested"),
        "404": problem("no such TaskRun"),
        "409": problem("the run has already ended (AlreadyFinished): nothing to cancel"),
        ...bearerErrors,
      },
    },
  };
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "SynthetIQ tasks HTTP API",
      version: "v1",
      description:
        "Submit tasks as TaskRuns and read their status and results. Authenticate with a Kubernetes bearer token; " +
        "Kubernetes RBAC on taskruns.tasks.synthetiq.io decides what each caller may do.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ kubernetesBearer: [] }],
    paths: {
      "/v1/tasks": {
        get: {
          operationId: "list_tasks",
          summary: "The task catalogue, with each task's input and output JSON Schema",
          responses: { "200": json({ type: "object" }, "the catalogue"), ...callErrors },
        },
      },
      ...Object.fromEntries(sorted.map((d) => [`/v1/tasks/${d.name}`, submitPath(d)])),
      "/v1/taskruns/{namespace}/{name}": taskRunPath,
    },
    components: {
      securitySchemes: {
        kubernetesBearer: {
          type: "http",
          scheme: "bearer",
          description: "A Kubernetes token (e.g. `kubectl create token SERVICE_ACCOUNT`)",
        },
      },
      schemas: {
        SubmitOptions: schema(submitOptions, "input"),
        Submitted: schema(submitResponse),
        Problem: schema(problemResponse),
        TaskRun: schema(taskRunResponse),
        Cancelled: schema(cancelResponse),
      },
    },
  };
}
