// Both Kubernetes clients (the operator's REST client, the SDK's client-node calls) against a real
// HTTPS server on loopback that answers the way the API server does when it sheds load: 429 with
// Retry-After (API Priority and Fairness), a 5xx, a reset keep-alive connection.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KubeClient } from "../../src/operator/kube/client.ts";
import { KubeApiError } from "../../src/operator/kube/errors.ts";
import { TaskRunApi } from "../../src/sdk/taskruns.ts";

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server;
let client: KubeClient;
let sdk: TaskRunApi;
let handler: Handler;
let seen: string[];
let retries: string[];

function status(res: ServerResponse, code: number, reason: string, retryAfter?: string) {
  res.writeHead(code, {
    "content-type": "application/json",
    ...(retryAfter === undefined ? {} : { "retry-after": retryAfter }),
  });
  res.end(JSON.stringify({ kind: "Status", status: "Failure", reason, message: `${reason} (test)`, code }));
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "kube-client-"));
  const [key, crt] = [join(dir, "tls.key"), join(dir, "tls.crt")];
  const selfSigned =
    "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost";
  execFileSync(
    "openssl",
    [...selfSigned.split(" "), "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", crt],
    {
      stdio: "ignore",
    },
  );
  const cert = readFileSync(crt);
  server = createServer({ cert, key: readFileSync(key) }, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => handler(req, res, seen.length));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  client = new KubeClient({
    server: new URL(`https://127.0.0.1:${port}`),
    ca: cert,
    insecureSkipTlsVerify: false,
    token: () => "test-token",
  });
  client.onRetry = (verb, resource, cause) => retries.push(`${verb} ${resource} ${cause}`);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `https://127.0.0.1:${port}`, caData: cert.toString("base64") }],
    users: [{ name: "u", token: "test-token" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  sdk = new TaskRunApi(kc);
});

afterAll(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  retries = [];
});

const JOBS = "/apis/batch/v1/namespaces/ns/jobs";

describe("the operator's API client when the API server sheds load", () => {
  it("sends a create again after the Retry-After of a 429, and counts both requests", async () => {
    handler = (_req, res, n) =>
      n === 1
        ? status(res, 429, "TooManyRequests", "1")
        : res.end(JSON.stringify({ metadata: { name: "j" } }));
    const createsBefore = client.requests.create;
    const started = Date.now();
    const job = await client.create<{ metadata: { name: string } }>(JOBS, { metadata: { name: "j" } });
    expect(job.metadata.name).toBe("j");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toEqual([`POST ${JOBS}`, `POST ${JOBS}`]);
    expect(retries).toEqual(["create jobs 429"]);
    expect(client.requests.create - createsBefore).toBe(2);
  });

  it("retries a 5xx only when it carries Retry-After", async () => {
    handler = (_req, res, n) => (n === 1 ? status(res, 503, "ServiceUnavailable", "0") : res.end("{}"));
    await client.get(`${JOBS}/j`);
    expect(retries).toEqual(["get jobs 503"]);

    seen = [];
    handler = (_req, res) => status(res, 503, "ServiceUnavailable");
    const error = await client.get(`${JOBS}/j`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(503);
    expect(seen).toHaveLength(1);
  });

  it("does not retry a 429 without Retry-After, nor a conflict", async () => {
    handler = (_req, res) => status(res, 429, "TooManyRequests");
    await expect(client.create(JOBS, {})).rejects.toThrow(/429 TooManyRequests/);
    handler = (_req, res) => status(res, 409, "AlreadyExists", "1");
    await expect(client.create(JOBS, {})).rejects.toMatchObject({ status: 409, reason: "AlreadyExists" });
    expect(seen).toHaveLength(2);
    expect(retries).toEqual([]);
  });

  it("gives up after ten retries with the last answer's error", async () => {
    handler = (_req, res) => status(res, 429, "TooManyRequests", "0");
    await expect(client.mergePatch(`${JOBS}/j`, {})).rejects.toMatchObject({ status: 429 });
    expect(seen).toHaveLength(11);
  });

  it("does not retry past the caller's deadline (a lease renewal)", async () => {
    handler = (_req, res) => status(res, 429, "TooManyRequests", "1");
    const started = Date.now();
    await expect(client.replace(`${JOBS}/j`, {}, Date.now() + 500)).rejects.toMatchObject({ status: 429 });
    // One request and no wait for the 1 s Retry-After.
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("sends a create again only on a 429: a create that timed out may have been stored", async () => {
    handler = (_req, res) => status(res, 500, "InternalError", "0");
    await expect(client.create(JOBS, {})).rejects.toMatchObject({ status: 500 });
    expect(seen).toHaveLength(1);
  });

  it("sends a GET again on a reset connection, never a write", async () => {
    handler = (req, res, n) => (n === 1 ? req.socket.destroy() : res.end("{}"));
    await client.get(`${JOBS}/j`);
    expect(retries).toEqual(["get jobs connection"]);

    seen = [];
    handler = (req) => req.socket.destroy();
    await expect(client.create(JOBS, {})).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(seen).toHaveLength(1);
  });
});

const TASKRUNS = "/apis/tasks.synthetiq.io/v1alpha1/namespaces/ns/taskruns";
const taskRun = {
  apiVersion: "tasks.synthetiq.io/v1alpha1",
  kind: "TaskRun" as const,
  metadata: { name: "t", namespace: "ns" },
  spec: { task: "noop" },
};

describe("the SDK's API client when the API server sheds load", () => {
  it("sends a TaskRun create again after the Retry-After of a 429", async () => {
    handler = (_req, res, n) => {
      if (n === 1) return status(res, 429, "TooManyRequests", "1");
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ ...taskRun, metadata: { ...taskRun.metadata, uid: "u-1" } }));
    };
    const started = Date.now();
    const created = await sdk.create(taskRun);
    expect(created.metadata.uid).toBe("u-1");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toEqual([`POST ${TASKRUNS}`, `POST ${TASKRUNS}`]);
  });

  it("gives up on a 429 without Retry-After with the API's error, and after ten retries", async () => {
    handler = (_req, res) => status(res, 429, "TooManyRequests");
    await expect(sdk.create(taskRun)).rejects.toMatchObject({ status: 429, reason: "TooManyRequests" });
    expect(seen).toHaveLength(1);
    seen = [];
    handler = (_req, res) => status(res, 503, "ServiceUnavailable", "0");
    await expect(sdk.get({ namespace: "ns", name: "t" })).rejects.toMatchObject({ status: 503 });
    expect(seen).toHaveLength(11);
  });

  it("sends a GET again on a reset connection, never a create", async () => {
    handler = (req, res, n) => {
      if (n === 1) return req.socket.destroy();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(taskRun));
    };
    expect((await sdk.get({ namespace: "ns", name: "t" })).metadata.name).toBe("t");
    expect(seen).toHaveLength(2);
    seen = [];
    handler = (req) => req.socket.destroy();
    await expect(sdk.create(taskRun)).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});
