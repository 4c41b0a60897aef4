// The slice of the kubelet's HTTPS API the API server uses: /healthz and
// /containerLogs/{namespace}/{pod}/{container} (what `kubectl logs` is proxied to), with follow,
// tailLines, previous and limitBytes. Clients must present a certificate of the cluster's CA
// (the API server's kubelet client certificate).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";

export interface LogSource {
  /** Log file of the container's current run (or the previous one), or undefined if unknown. */
  logFile(namespace: string, pod: string, container: string, previous: boolean): string | undefined;
  isRunning(namespace: string, pod: string, container: string): boolean;
}

export interface KubeletServerOptions {
  port: number;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  logs: LogSource;
}

/** The last `lines` lines of `text` (pure). */
export function tailLines(text: string, lines: number): string {
  if (lines <= 0) return "";
  const parts = text.split("\n");
  const trailing = parts.at(-1) === "" ? parts.pop() : undefined;
  return parts.slice(-lines).join("\n") + (trailing === "" ? "\n" : "");
}

function readFrom(file: string, offset: number): Buffer {
  const size = statSync(file).size;
  if (size <= offset) return Buffer.alloc(0);
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf;
  } finally {
    closeSync(fd);
  }
}

function fail(res: ServerResponse, code: number, message: string) {
  res.writeHead(code, { "content-type": "text/plain" }).end(`${message}\n`);
}

export function startKubeletServer(options: KubeletServerOptions): Promise<Server> {
  const server = createServer(
    { cert: options.cert, key: options.key, ca: options.ca, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const url = new URL(req.url ?? "/", "https://node");
      if (url.pathname === "/healthz") return void res.writeHead(200).end("ok");
      const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!match) return fail(res, 404, `not served by the process node: ${url.pathname}`);
      const [ns, pod, container] = match.slice(1).map(decodeURIComponent) as [string, string, string];
      const q = url.searchParams;
      const previous = q.get("previous") === "true";
      const file = options.logs.logFile(ns, pod, container, previous);
      if (!file || !existsSync(file)) {
        return fail(
          res,
          404,
          `no logs for container "${container}" of pod ${ns}/${pod}${previous ? " (previous)" : ""}`,
        );
      }
      let content = readFileSync(file);
      const offset = content.length;
      if (q.has("tailLines"))
        content = Buffer.from(tailLines(content.toString("utf8"), Number(q.get("tailLines"))));
      const limit = q.has("limitBytes") ? Number(q.get("limitBytes")) : Number.POSITIVE_INFINITY;
      if (content.length > limit) content = content.subarray(0, limit);
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(content);
      if (q.get("follow") !== "true" || previous || content.length >= limit) return void res.end();
      let position = offset;
      const timer = setInterval(() => {
        const more = readFrom(file, position);
        position += more.length;
        if (more.length) res.write(more);
        if (!options.logs.isRunning(ns, pod, container)) {
          clearInterval(timer);
          res.end(readFrom(file, position));
        }
      }, 250);
      res.once("close", () => clearInterval(timer));
    },
  );
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve(server));
  });
}
