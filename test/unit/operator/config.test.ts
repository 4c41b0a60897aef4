import { describe, expect, it } from "vitest";
import { configFromEnv } from "../../../src/operator/config.ts";

const base = { REDIS_URL: "redis://127.0.0.1:6379", OPERATOR_IDENTITY: "op-1" };

describe("operator configuration errors", () => {
  it("name the environment variable and the value given, not the internal path", () => {
    expect(() => configFromEnv({ ...base, OPERATOR_WORKERS: "x" })).toThrow(
      'OPERATOR_WORKERS: expected a number, got "x"',
    );
    expect(() => configFromEnv({ ...base, OPERATOR_HTTP_PORT: "70000" })).toThrow(
      /OPERATOR_HTTP_PORT: .*"70000"/,
    );
    expect(() => configFromEnv({ ...base, OPERATOR_REDIS_PASSWORD_SECRET: "no-key" })).toThrow(
      /OPERATOR_REDIS_PASSWORD_SECRET: must be SECRET_NAME\/KEY \(got "no-key"\)/,
    );
    expect(() => configFromEnv({ OPERATOR_IDENTITY: "op-1" })).toThrow(/REDIS_URL: /);
  });

  it("read a flag as 1/true/yes or 0/false/no, and refuse another spelling naming the variable", () => {
    expect(configFromEnv(base).runner.automountServiceAccountToken).toBe(false);
    expect(
      configFromEnv({ ...base, OPERATOR_RUNNER_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN: "true" }).runner
        .automountServiceAccountToken,
    ).toBe(true);
    expect(configFromEnv({ ...base, OPERATOR_LEADER_ELECTION: "0" }).leaderElection.enabled).toBe(false);
    expect(configFromEnv({ ...base, OPERATOR_LEADER_ELECTION: "Yes" }).leaderElection.enabled).toBe(true);
    expect(() => configFromEnv({ ...base, OPERATOR_RUNNER_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN: "on" })).toThrow(
      /OPERATOR_RUNNER_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN: .*"on"/,
    );
  });

  it("reports every bad variable at once", () => {
    let message = "";
    try {
      configFromEnv({ ...base, OPERATOR_WORKERS: "0", OPERATOR_RUNNER_IMAGE_PULL_POLICY: "Sometimes" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/OPERATOR_WORKERS: .*"0"/);
    expect(message).toMatch(/OPERATOR_RUNNER_IMAGE_PULL_POLICY: .*"Sometimes"/);
    expect(message).not.toMatch(/runner\.|workers:/);
  });

  it("reads the artifacts claim and rejects a name Kubernetes would not accept", () => {
    expect(configFromEnv({ ...base, OPERATOR_ARTIFACTS_PVC: "tasks-artifacts" }).runner.artifactsClaim).toBe(
      "tasks-artifacts",
    );
    expect(configFromEnv(base).runner.artifactsClaim).toBeUndefined();
    expect(() => configFromEnv({ ...base, OPERATOR_ARTIFACTS_PVC: "Artifacts_PVC" })).toThrow(
      /OPERATOR_ARTIFACTS_PVC: must be a PersistentVolumeClaim name \(got "Artifacts_PVC"\)/,
    );
  });
});
