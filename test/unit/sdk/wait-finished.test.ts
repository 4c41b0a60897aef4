// TaskRunApi.waitFinished against a stand-in API server on loopback: a GET first (a missing name is
// TaskRunNotFoundError at once, a finished run is returned even with the signal aborted), then a
// watch from the GET's resourceVersion; a watch the server ends is opened again from the last
// version seen, an expired version (410) is read again, and a DELETED event is TaskRunNotFoundError.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import { TaskRunNotFoundError } from "../../../src/sdk/errors.ts";
import { TaskRunApi } from "../../../src/sdk/taskruns.ts";

const RUNS = "/apis/tasks.synthetiq.io/v1alpha1/namespaces/apps/taskruns";

const taskRun = (phase: string, resourceVersion: string): TaskRun =>
  ({
    apiVersion: "tasks.synthetiq.io/v1alpha1",
    kind: "TaskRun",
    metadata: { name: "run-1", namespace: "apps", resourceVersion },
    spec: { task: "testing.noop", input: {} },
    status: { phase },
  }) as TaskRun;

/** What the stand-in answers: GETs of run-1 in turn (the last one repeats), and watches in turn. */
let gets: Array<{ status: number; body: unknown }>;
/** Each watch: the events it sends, then it ends (the server's timeout). */
let watches: Array<Array<{ type: string; object: unknown }>>;
let requests: string[];
let server: Server;
let api: TaskRunApi;

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "", "http://stand-in");
    if (url.searchParams.get("watch") === "true") {
      requests.push(
        `WATCH ${url.pathname} ${url.searchParams.get("fieldSelector")} rv=${url.searchParams.get("resourceVersion")}`,
      );
      const events = watches.shift() ?? [];
      response.writeHead(200, { "content-type": "application/json" });
      for (const event of events) response.write(`${JSON.stringify(event)}\n`);
      response.end();
      return;
    }
    requests.push(`GET ${url.pathname}`);
    const answer = gets.length > 1 ? gets.shift() : gets[0];
    send(response, answer?.status ?? 500, answer?.body ?? {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "stand-in", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "admin", token: "t" }],
    contexts: [{ name: "stand-in", cluster: "stand-in", user: "admin" }],
    currentContext: "stand-in",
  });
  api = new TaskRunApi(kc);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  gets = [];
  watches = [];
  requests = [];
});

const running = { status: 200, body: taskRun("Running", "5") };
const watchFrom = (rv: string) => `WATCH ${RUNS} metadata.name=run-1 rv=${rv}`;
const ref = { namespace: "apps", name: "run-1" };

describe("waitFinished", () => {
  test("a name that does not exist is TaskRunNotFoundError at once, without a watch", async () => {
    gets = [{ status: 404, body: { kind: "Status", code: 404, reason: "NotFound", message: "not found" } }];
    await expect(api.waitFinished(ref, new AbortController().signal)).rejects.toBeInstanceOf(
      TaskRunNotFoundError,
    );
    expect(requests).toEqual([`GET ${RUNS}/run-1`]);
  });

  test("a finished run is returned from the GET, even when the signal has already aborted", async () => {
    gets = [{ status: 200, body: taskRun("Succeeded", "9") }];
    const done = await api.waitFinished(ref, AbortSignal.abort());
    expect(done.status?.phase).toBe("Succeeded");
    expect(requests).toEqual([`GET ${RUNS}/run-1`]);
  });

  test("the watch starts at the GET's resourceVersion and ends with the finished TaskRun", async () => {
    gets = [running];
    watches = [[{ type: "MODIFIED", object: taskRun("Failed", "6") }]];
    const done = await api.waitFinished(ref, new AbortController().signal);
    expect(done.status?.phase).toBe("Failed");
    expect(requests).toEqual([`GET ${RUNS}/run-1`, watchFrom("5")]);
  });

  test("a watch the server ends is opened again from the last version it sent", async () => {
    gets = [running];
    watches = [
      [{ type: "MODIFIED", object: taskRun("Running", "6") }],
      [{ type: "MODIFIED", object: taskRun("Succeeded", "7") }],
    ];
    const done = await api.waitFinished(ref, new AbortController().signal);
    expect(done.metadata.resourceVersion).toBe("7");
    expect(requests).toEqual([`GET ${RUNS}/run-1`, watchFrom("5"), watchFrom("6")]);
  });

  test("an expired resourceVersion (an ERROR event, 410) is read again before watching again", async () => {
    gets = [running, { status: 200, body: taskRun("Running", "40") }];
    watches = [
      [{ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } }],
      [{ type: "MODIFIED", object: taskRun("Cancelled", "41") }],
    ];
    const done = await api.waitFinished(ref, new AbortController().signal);
    expect(done.status?.phase).toBe("Cancelled");
    expect(requests).toEqual([`GET ${RUNS}/run-1`, watchFrom("5"), `GET ${RUNS}/run-1`, watchFrom("40")]);
  });

  test("a TaskRun deleted while waited for is TaskRunNotFoundError", async () => {
    gets = [running];
    watches = [[{ type: "DELETED", object: taskRun("Running", "6") }]];
    await expect(api.waitFinished(ref, new AbortController().signal)).rejects.toBeInstanceOf(
      TaskRunNotFoundError,
    );
  });
});
