// Kubeconfig files for the admin and for each component: one cluster, one user with a client
// certificate, one context. Certificates are embedded so that a kubeconfig can be copied alone.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

export interface KubeconfigInput {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  user: string;
}

const b64 = (file: string) => readFileSync(file).toString("base64");

export function renderKubeconfig(input: KubeconfigInput): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "local", cluster: { server: input.server, "certificate-authority-data": b64(input.caFile) } },
    ],
    users: [
      {
        name: input.user,
        user: { "client-certificate-data": b64(input.certFile), "client-key-data": b64(input.keyFile) },
      },
    ],
    contexts: [{ name: "local", context: { cluster: "local", user: input.user } }],
    "current-context": "local",
  });
}

/** The kubeconfig of the identity whose certificate is pki/<certName>.{crt,key}. */
export function kubeconfigFor(pkiDir: string, server: string, certName: string): string {
  return renderKubeconfig({
    server,
    caFile: join(pkiDir, "ca.crt"),
    certFile: join(pkiDir, `${certName}.crt`),
    keyFile: join(pkiDir, `${certName}.key`),
    user: certName,
  });
}
