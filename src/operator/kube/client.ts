// A small Kubernetes REST client over node:https with keep-alive: JSON requests, typed API errors,
// streaming watches, and counters of requests by verb (the benchmark reports API writes per run).
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { type Connection, inClusterConnection, kubeconfigConnection } from "./connection.ts";
import { KubeApiError } from "./errors.ts";
import { MAX_RETRIES, retryCause, retryWaitMs } from "./retry.ts";

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs?: number;
  /**
   * When the caller stops caring (epoch ms): no retry waits past it (the leader's lease renewal).
   * A request already sent is not cut off: an API server that is restarting answers it a few seconds
   * late, and the renewal then still lands inside the lease.
   */
  deadline?: number;
}

/** The resource a request path names ("jobs", "taskruns", "leases", ...; "status" for a subresource's parent). */
export function resourceOf(path: string): string {
  const parts = path.split("?")[0]?.split("/").filter(Boolean) ?? [];
  const ns = parts.indexOf("namespaces");
  const rest =
    ns >= 0 && parts.length > ns + 2 ? parts.slice(ns + 2) : parts.slice(parts[0] === "api" ? 2 : 3);
  return rest[0] ?? "unknown";
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

function decodeAnswer<T>(method: string, path: string, { status, text }: Answer): T {
  if (status >= 200 && status < 300) return (text ? JSON.parse(text) : {}) as T;
  let reason = "Unknown";
  let message = text.slice(0, 2000);
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    reason = body.reason ?? reason;
    message = body.message ?? message;
  } catch {}
  throw new KubeApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`);
}

/** Who the operator's requests come from, as `kubectl get -o yaml --show-managed-fields` shows it. */
export const USER_AGENT = "synthetiq-tasks-operator";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

export class KubeClient {
  readonly requests: Record<Verb, number> = {
    get: 0,
    list: 0,
    watch: 0,
    create: 0,
    update: 0,
    patch: 0,
    delete: 0,
  };
  private readonly connection: Connection;
  private readonly agent: https.Agent;
  /** Called once per HTTP request, retries included, with its verb and resource (metrics). */
  onRequest: (verb: Verb, resource: string) => void = () => {};
  /** Called before a request is sent again, with why: the answer's status code or "connection". */
  onRetry: (verb: Verb, resource: string, cause: string) => void = () => {};

  constructor(connection: Connection) {
    this.connection = connection;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  }

  /** From a kubeconfig file, or the in-cluster service account when `kubeconfigPath` is unset. */
  static load(kubeconfigPath?: string): KubeClient {
    return new KubeClient(kubeconfigPath ? kubeconfigConnection(kubeconfigPath) : inClusterConnection());
  }

  get writes(): number {
    return this.requests.create + this.requests.update + this.requests.patch + this.requests.delete;
  }

  private options(method: string, path: string, query: RequestOptions["query"]): https.RequestOptions {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) search.set(k, String(v));
    const qs = search.toString();
    const { server, ca, cert, key, insecureSkipTlsVerify } = this.connection;
    const token = this.connection.token();
    return {
      agent: this.agent,
      hostname: server.hostname.replace(/^\[|\]$/g, ""),
      port: server.port || 443,
      method,
      path: `${server.pathname.replace(/\/$/, "")}${path}${qs ? `?${qs}` : ""}`,
      headers: {
        accept: "application/json",
        // The API server names the field manager of every write after it (managedFields, audit log).
        "user-agent": USER_AGENT,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      rejectUnauthorized: !insecureSkipTlsVerify,
    };
  }

  async request<T>(method: string, path: string, verb: Verb, opts: RequestOptions = {}): Promise<T> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    for (let attempt = 1; ; attempt++) {
      const sent = await this.send(method, path, verb, opts, payload).then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error }),
      );
      const wait = retryWaitMs(method, sent);
      const pastDeadline = opts.deadline !== undefined && Date.now() + (wait ?? 0) >= opts.deadline;
      if (wait === undefined || attempt > MAX_RETRIES || pastDeadline) {
        if ("error" in sent) throw sent.error;
        return decodeAnswer<T>(method, path, sent.answer);
      }
      this.onRetry(verb, resourceOf(path), retryCause(sent));
      await sleep(wait);
    }
  }

  /** One HTTP exchange; rejects only on a transport error. */
  private send(
    method: string,
    path: string,
    verb: Verb,
    opts: RequestOptions,
    payload: string | undefined,
  ): Promise<Answer> {
    this.requests[verb]++;
    this.onRequest(verb, resourceOf(path));
    const options = this.options(method, path, opts.query);
    if (payload !== undefined) {
      options.headers = {
        ...options.headers,
        "content-type": opts.contentType ?? "application/json",
        "content-length": Buffer.byteLength(payload),
      };
    }
    return new Promise<Answer>((resolve, reject) => {
      const req = https.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
      });
      req.setTimeout(opts.timeoutMs ?? 30_000, () =>
        req.destroy(new Error(`${method} ${path}: request timed out`)),
      );
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T>(path: string, query?: RequestOptions["query"], deadline?: number) {
    return this.request<T>("GET", path, "get", { query, deadline });
  }
  list<T>(path: string, query?: RequestOptions["query"]) {
    return this.request<T>("GET", path, "list", { query });
  }
  create<T>(path: string, body: unknown, deadline?: number) {
    return this.request<T>("POST", path, "create", { body, deadline });
  }
  replace<T>(path: string, body: unknown, deadline?: number) {
    return this.request<T>("PUT", path, "update", { body, deadline });
  }
  mergePatch<T>(path: string, body: unknown) {
    return this.request<T>("PATCH", path, "patch", { body, contentType: "application/merge-patch+json" });
  }
  delete<T>(path: string, query?: RequestOptions["query"]) {
    return this.request<T>("DELETE", path, "delete", { query });
  }

  /**
   * Streams a watch: `onEvent` gets each JSON line. Resolves when the server closes the stream,
   * rejects on a transport error or a non-2xx answer. `signal` aborts the connection.
   */
  async watch(
    path: string,
    query: RequestOptions["query"],
    onEvent: (event: { type: string; object: unknown }) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.requests.watch++;
    this.onRequest("watch", resourceOf(path));
    const options = this.options("GET", path, { ...query, watch: true });
    options.agent = undefined; // long-lived: keep it off the shared keep-alive pool
    return new Promise<void>((resolve, reject) => {
      const req = https.request({ ...options, signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let reason = "Unknown";
            try {
              reason = (JSON.parse(text) as { reason?: string }).reason ?? reason;
            } catch {}
            reject(new KubeApiError(status, reason, `watch ${path}: ${status} ${text.slice(0, 500)}`));
          });
          return;
        }
        let buffered = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf("\n");
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) onEvent(JSON.parse(line) as { type: string; object: unknown });
            newline = buffered.indexOf("\n");
          }
        });
        res.on("end", () => resolve());
        res.on("error", reject);
        res.on("aborted", () => reject(new Error(`watch ${path}: connection aborted`)));
      });
      req.on("error", reject);
      req.end();
    });
  }

  close() {
    this.agent.destroy();
  }
}
