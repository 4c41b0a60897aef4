// TaskRunApi.waitFinished against a stand-in API server on loopback: a list of the one name first (a
// missing name is TaskRunNotFoundError at once, a finished run is returned even with the signal
// aborted), then a watch from the list's resourceVersion, the collection's, not the object's; a
// watch the server ends is opened again from the last version seen (bookmarks included), an expired
// version (410) is listed again, and a DELETED event is TaskRunNotFoundError.
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

/** What the stand-in answers: lists of run-1 in turn (the last one repeats), and watches in turn. */
let lists: Array<{ status: number; body: unknown }>;
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
    requests.push(`LIST ${url.pathname} ${url.searchParams.get("fieldSelector")}`);
    const answer = lists.length > 1 ? lists.shift() : lists[0];
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
  lists = [];
  watches = [];
  requests = [];
});

/** A list answer: the collection's resourceVersion, and run-1 when given. */
const listOf = (collectionVersion: string, run?: TaskRun) => ({
  status: 200,
  body: { kind: "List", metadata: { resourceVersion: collectionVersion }, items: run ? [run] : [] },
});
// The run last changed at version 5; the collection is at 30 since.
const running = listOf("30", taskRun("Running", "5"));
const LIST = `LIST ${RUNS} metadata.name=run-1`;
const watchFrom = (rv: string) => `WATCH ${RUNS} metadata.name=run-1 rv=${rv}`;
const ref = { namespace: "apps", name: "run-1" };

describe("waitFinished", () => {
  test("a name that does not exist is TaskRunNotFoundError at once, without a watch", async () => {
    lists = [listOf("30")];
    await expect(api.waitFinished(ref, new AbortController().signal)).rejects.toBeInstanceOf(
      TaskRunNotFoundError,
    );
    expect(requests).toEqual([LIST]);
  });

  test("a finished run is returned from the list, even when the signal has already aborted", async () => {
    lists = [listOf("30", taskRun("Succeeded", "9"))];
    const done = await api.waitFinished(ref, AbortSignal.abort());
    expect(done.status?.phase).toBe("Succeeded");
    expect(requests).toEqual([LIST]);
  });

  test("the watch starts at the collection's resourceVersion, not the run's, and ends with the finished TaskRun", async () => {
    lists = [running];
    watches = [[{ type: "MODIFIED", object: taskRun("Failed", "31") }]];
    const done = await api.waitFinished(ref, new AbortController().signal);
    expect(done.status?.phase).toBe("Failed");
    expect(requests).toEqual([LIST, watchFrom("30")]);
  });

  test("a watch the server ends is opened again from the last version it sent, bookmarks included", async () => {
    lists = [running];
    watches = [
      [{ type: "MODIFIED", object: taskRun("Running", "31") }],
      [{ type: "BOOKMARK", object: { kind: "TaskRun", metadata: { resourceVersion: "45" } } }],
      [{ type: "MODIFIED", object: taskRun("Succeeded", "46") }],
    ];
    const done = await api.waitFinished(ref, new AbortController().signal);
    expect(done.metadata.resourceVersion).toBe("46");
    expect(requests).toEqual([LIST, watchFrom("30"), watchFrom("31"), watchFrom("45")]);
  });

  test("an expired resourceVersion (an ERROR event, 410) is listed again before watching again", async () => {
    // The run is unchanged (still version 5): the second list's collection version moved on.
    lists = [running, listOf("60", taskRun("Running", "5"))];
    watches = [
      [{ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } }],
      [{ type: "MODIFIED", object: taskRun("Cancelled", "61") }],
    ];
    const done = await api.waitFinished(ref, new AbortController().signal);
    expect(done.status?.phase).toBe("Cancelled");
    expect(requests).toEqual([LIST, watchFrom("30"), LIST, watchFrom("60")]);
  });

  test("a TaskRun deleted while waited for is TaskRunNotFoundError", async () => {
    lists = [running];
    watches = [[{ type: "DELETED", object: taskRun("Running", "31") }]];
    await expect(api.waitFinished(ref, new AbortController().signal)).rejects.toBeInstanceOf(
      TaskRunNotFoundError,
    );
  });
});
