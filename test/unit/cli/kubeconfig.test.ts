// The CLI's kubeconfig: when there is none, the error says where it looked (client-node alone fell
// back to http://localhost:8080 and failed on "HTTP protocol is not allowed ..."); a --context the
// kubeconfig does not have is named with the ones it has (client-node said "No active cluster!").
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { UsageError } from "../../../src/cli/flags.ts";
import { loadKubeConfig, SERVICE_ACCOUNT_TOKEN } from "../../../src/cli/kubeconfig.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kubectl-task-kubeconfig-"));
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: { server: "https://127.0.0.1:6443" }
users:
- name: admin
  user: { token: t }
contexts:
- name: dev
  context: { cluster: one, user: admin, namespace: apps }
- name: prod
  context: { cluster: one, user: admin }
current-context: dev
`;

describe("loadKubeConfig", () => {
  test("without KUBECONFIG, ~/.kube/config or a service account, the error names where it looked", () => {
    vi.stubEnv("KUBECONFIG", "");
    vi.stubEnv("HOME", dir);
    expect(() => loadKubeConfig(undefined, undefined)).toThrow(
      `no kubeconfig found: KUBECONFIG is not set, ${join(dir, ".kube", "config")} does not exist, ` +
        `and this is not a pod with a service account (no ${SERVICE_ACCOUNT_TOKEN}); ` +
        "give --kubeconfig PATH or set KUBECONFIG",
    );
  });

  test("~/.kube/config is found as kubectl finds it", () => {
    vi.stubEnv("KUBECONFIG", "");
    vi.stubEnv("HOME", dir);
    mkdirSync(join(dir, ".kube"));
    writeFileSync(join(dir, ".kube", "config"), KUBECONFIG);
    expect(loadKubeConfig(undefined, undefined).getCurrentContext()).toBe("dev");
  });

  test("a --context the kubeconfig does not have is a usage error listing its contexts", () => {
    const path = join(dir, "config");
    writeFileSync(path, KUBECONFIG);
    const error = (() => {
      try {
        loadKubeConfig(path, "nope");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `context "nope" is not in the kubeconfig (${path}); its contexts: dev, prod`,
    );
    expect(loadKubeConfig(path, "prod").getCurrentContext()).toBe("prod");
  });

  test("a --kubeconfig or KUBECONFIG file that does not exist is named", () => {
    expect(() => loadKubeConfig(join(dir, "missing"), undefined)).toThrow(
      `--kubeconfig ${join(dir, "missing")} does not exist`,
    );
    vi.stubEnv("KUBECONFIG", join(dir, "gone"));
    expect(() => loadKubeConfig(undefined, undefined)).toThrow(
      `KUBECONFIG names ${join(dir, "gone")}, which does not exist`,
    );
  });
});
