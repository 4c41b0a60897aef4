// The cluster's certificates and service-account signing key, made locally with the openssl CLI
// (EC P-256 keys: fast to generate, accepted by every component). Generated once per .cluster/
// directory and reused on later starts; a missing file is regenerated on its own.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const NODE_NAME = "local-node";
/** First address of --service-cluster-ip-range: the `kubernetes` Service's ClusterIP. */
export const SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16";
const KUBERNETES_SERVICE_IP = "10.96.0.1";

export interface CertSpec {
  /** File stem: <name>.crt and <name>.key. */
  name: string;
  commonName: string;
  organization?: string;
  signer: "ca" | "front-proxy-ca";
  usage: "server" | "client";
  altNames?: { dns?: string[]; ip?: string[] };
}

/** Every leaf certificate the cluster needs; RBAC identities follow kubeadm's. */
export const CERTS: readonly CertSpec[] = [
  {
    name: "apiserver",
    commonName: "kube-apiserver",
    signer: "ca",
    usage: "server",
    altNames: {
      dns: [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
      ],
      ip: ["127.0.0.1", KUBERNETES_SERVICE_IP],
    },
  },
  {
    name: "apiserver-kubelet-client",
    commonName: "kube-apiserver-kubelet-client",
    organization: "system:masters",
    signer: "ca",
    usage: "client",
  },
  { name: "front-proxy-client", commonName: "front-proxy-client", signer: "front-proxy-ca", usage: "client" },
  {
    name: "admin",
    commonName: "kubernetes-admin",
    organization: "system:masters",
    signer: "ca",
    usage: "client",
  },
  { name: "controller-manager", commonName: "system:kube-controller-manager", signer: "ca", usage: "client" },
  { name: "scheduler", commonName: "system:kube-scheduler", signer: "ca", usage: "client" },
  {
    name: "node-client",
    commonName: `system:node:${NODE_NAME}`,
    organization: "system:nodes",
    signer: "ca",
    usage: "client",
  },
  {
    name: "node-serving",
    commonName: NODE_NAME,
    signer: "ca",
    usage: "server",
    altNames: { dns: [NODE_NAME, "localhost"], ip: ["127.0.0.1"] },
  },
];

function openssl(args: string[]) {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`);
  }
}

function ecKey(path: string) {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]);
}

function subject(commonName: string, organization?: string) {
  return `${organization ? `/O=${organization}` : ""}/CN=${commonName}`;
}

function ensureCa(dir: string, name: string, commonName: string) {
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (existsSync(crt) && existsSync(key)) return;
  ecKey(key);
  openssl(["req", "-x509", "-new", "-key", key, "-out", crt, "-days", "3650", "-subj", subject(commonName)]);
}

/** The x509 v3 extensions of a leaf certificate (pure, unit-testable). */
export function leafExtensions(spec: CertSpec): string {
  const lines = [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    `extendedKeyUsage=${spec.usage === "server" ? "serverAuth" : "clientAuth"}`,
  ];
  const alt = [
    ...(spec.altNames?.dns ?? []).map((d) => `DNS:${d}`),
    ...(spec.altNames?.ip ?? []).map((i) => `IP:${i}`),
  ];
  if (alt.length > 0) lines.push(`subjectAltName=${alt.join(",")}`);
  return `${lines.join("\n")}\n`;
}

function ensureLeaf(dir: string, spec: CertSpec) {
  const crt = join(dir, `${spec.name}.crt`);
  const key = join(dir, `${spec.name}.key`);
  if (existsSync(crt) && existsSync(key)) return;
  const csr = join(dir, `${spec.name}.csr`);
  const ext = join(dir, `${spec.name}.ext`);
  ecKey(key);
  openssl(["req", "-new", "-key", key, "-out", csr, "-subj", subject(spec.commonName, spec.organization)]);
  writeFileSync(ext, leafExtensions(spec));
  const signer = join(dir, spec.signer);
  openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    `${signer}.crt`,
    "-CAkey",
    `${signer}.key`,
    "-CAcreateserial",
    "-days",
    "3650",
    "-extfile",
    ext,
    "-out",
    crt,
  ]);
  rmSync(csr);
  rmSync(ext);
}

/** Creates whatever is missing under `dir`; returns at once when everything exists. */
export function ensurePki(dir: string) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  ensureCa(dir, "ca", "synthetiq-local-ca");
  ensureCa(dir, "front-proxy-ca", "synthetiq-local-front-proxy-ca");
  for (const spec of CERTS) ensureLeaf(dir, spec);
  const saKey = join(dir, "sa.key");
  const saPub = join(dir, "sa.pub");
  if (!existsSync(saKey) || !existsSync(saPub)) {
    ecKey(saKey);
    openssl(["pkey", "-in", saKey, "-pubout", "-out", saPub]);
  }
}
