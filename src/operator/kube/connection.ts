// Where the API server is and how to authenticate to it: from a kubeconfig file (client
// certificate or bearer token, inline or file CA) or in-cluster (the pod's service account token,
// re-read so that rotated tokens are picked up). Exec and auth-provider plugins are not supported.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";

export interface Connection {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify: boolean;
  /** The bearer token now (a file token is re-read at most once a minute). */
  token(): string | undefined;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{ name: string; cluster: Record<string, string | boolean | undefined> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
}

function fileToken(path: string): () => string {
  let cached = "";
  let readAt = 0;
  return () => {
    if (Date.now() - readAt > 60_000) {
      cached = readFileSync(path, "utf8").trim();
      readAt = Date.now();
    }
    return cached;
  };
}

export function inClusterConnection(env: NodeJS.ProcessEnv = process.env): Connection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host) throw new Error("not in a cluster (KUBERNETES_SERVICE_HOST is unset) and no KUBECONFIG given");
  return {
    server: new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`),
    ca: readFileSync(join(SERVICE_ACCOUNT_DIR, "ca.crt")),
    insecureSkipTlsVerify: false,
    token: fileToken(join(SERVICE_ACCOUNT_DIR, "token")),
  };
}

export function kubeconfigConnection(path: string): Connection {
  const file = parse(readFileSync(path, "utf8")) as KubeconfigFile;
  const base = dirname(path);
  const contextName = file["current-context"];
  const context = file.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`kubeconfig ${path}: current-context "${contextName ?? ""}" not found`);
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: cluster "${context.cluster}" has no server`);
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};
  if (user.exec || user["auth-provider"]) {
    throw new Error(
      `kubeconfig ${path}: user "${context.user}" uses an exec/auth-provider plugin, which the operator does not support; use a token or client certificate`,
    );
  }
  const bytes = (data: unknown, file: unknown): Buffer | undefined => {
    if (typeof data === "string") return Buffer.from(data, "base64");
    if (typeof file === "string") return readFileSync(isAbsolute(file) ? file : join(base, file));
    return undefined;
  };
  const token =
    typeof user.token === "string"
      ? () => user.token as string
      : typeof user.tokenFile === "string"
        ? fileToken(isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile))
        : () => undefined;
  return {
    server: new URL(String(cluster.server)),
    ca: bytes(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    cert: bytes(user["client-certificate-data"], user["client-certificate"]),
    key: bytes(user["client-key-data"], user["client-key"]),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    token,
  };
}
