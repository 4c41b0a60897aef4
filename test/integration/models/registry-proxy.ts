// A loopback HTTP proxy in front of the test registry that counts requests by method and path
// kind, and can inject failures (503, 429, 401) to prove the push task's retry rules.
import { createServer, request, type Server } from "node:http";

export interface ProxyRule {
  /** e.g. "POST uploads", "HEAD blobs", "PUT manifests", "PATCH uploads". */
  match: string;
  status: number;
  /** How many matching requests fail before they pass through (Infinity: always). */
  times: number;
}

export interface RegistryProxy {
  endpoint: string;
  /** Requests seen, by "METHOD kind" (kind: blobs, uploads, manifests, other). */
  counts: Map<string, number>;
  rules: ProxyRule[];
  reset(): void;
  close(): Promise<void>;
}

function kindOf(path: string): string {
  if (path.includes("/blobs/uploads")) return "uploads";
  if (path.includes("/blobs/")) return "blobs";
  if (path.includes("/manifests/")) return "manifests";
  return "other";
}

export async function startRegistryProxy(upstream: string): Promise<RegistryProxy> {
  const target = new URL(upstream);
  const counts = new Map<string, number>();
  const rules: ProxyRule[] = [];
  const server: Server = createServer((req, res) => {
    const key = `${req.method} ${kindOf(req.url ?? "")}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const rule = rules.find((r) => r.match === key && r.times > 0);
    if (rule) {
      rule.times--;
      req.resume();
      res
        .writeHead(rule.status, { "content-type": "application/json" })
        .end('{"errors":[{"code":"INJECTED"}]}');
      return;
    }
    // Forward with the proxy's Host header, so the registry's Location URLs point back here.
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamResponse) => {
        res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(res);
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    rules,
    reset() {
      counts.clear();
      rules.length = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
