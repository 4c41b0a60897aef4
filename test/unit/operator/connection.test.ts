import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resourceOf } from "../../../src/operator/kube/client.ts";
import { kubeconfigConnection } from "../../../src/operator/kube/connection.ts";
import { retryWaitMs } from "../../../src/operator/kube/retry.ts";

function kubeconfig(user: string) {
  const dir = mkdtempSync(join(tmpdir(), "kc-"));
  writeFileSync(join(dir, "ca.crt"), "CA-FILE");
  writeFileSync(join(dir, "token"), "file-token\n");
  const path = join(dir, "config");
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: dev
contexts: [{ name: dev, context: { cluster: c1, user: u1 } }]
clusters: [{ name: c1, cluster: { server: "https://127.0.0.1:6443", certificate-authority: ca.crt } }]
users: [{ name: u1, user: ${user} }]
`,
  );
  return path;
}

describe("API server connection from a kubeconfig", () => {
  it("reads the current context's server, a relative CA file and inline client certificates", () => {
    const c = kubeconfigConnection(
      kubeconfig(
        `{ client-certificate-data: ${Buffer.from("CERT").toString("base64")}, client-key-data: ${Buffer.from("KEY").toString("base64")} }`,
      ),
    );
    expect(c.server.href).toBe("https://127.0.0.1:6443/");
    expect(c.ca?.toString()).toBe("CA-FILE");
    expect(c.cert?.toString()).toBe("CERT");
    expect(c.key?.toString()).toBe("KEY");
    expect(c.token()).toBeUndefined();
  });

  it("supports a token file, and refuses exec plugins with a clear message", () => {
    expect(kubeconfigConnection(kubeconfig("{ tokenFile: token }")).token()).toBe("file-token");
    expect(() => kubeconfigConnection(kubeconfig("{ exec: { command: aws } }"))).toThrow(
      /exec\/auth-provider plugin/,
    );
  });

  it("names the resource of a request path for the request metric", () => {
    expect(resourceOf("/apis/tasks.synthetiq.io/v1alpha1/namespaces/a/taskruns/x/status")).toBe("taskruns");
    expect(resourceOf("/apis/coordination.k8s.io/v1/namespaces/a/leases/l")).toBe("leases");
    expect(resourceOf("/api/v1/pods")).toBe("pods");
  });

  it("retries what client-go retries (429 or 5xx with whole seconds of Retry-After, a reset GET), but a create only on 429", () => {
    const answer = (status: number, retryAfter?: string) => ({ answer: { status, retryAfter } });
    expect(retryWaitMs("POST", answer(429, "2"))).toBe(2_000);
    expect(retryWaitMs("PATCH", answer(504, "1"))).toBe(1_000);
    // A create that timed out may have been stored: only a 429 says it was not.
    expect(retryWaitMs("POST", answer(500, "2"))).toBeUndefined();
    expect(retryWaitMs("POST", answer(429))).toBeUndefined();
    expect(retryWaitMs("GET", answer(429, "Wed, 21 Oct 2026 07:28:00 GMT"))).toBeUndefined();
    expect(retryWaitMs("GET", answer(409, "1"))).toBeUndefined();
    const reset = { error: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) };
    expect(retryWaitMs("GET", reset)).toBe(1_000);
    expect(retryWaitMs("POST", reset)).toBeUndefined();
    expect(retryWaitMs("GET", { error: new Error("request timed out") })).toBeUndefined();
  });
});
