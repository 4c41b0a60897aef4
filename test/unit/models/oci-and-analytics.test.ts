// Pure parts of the ECR push and analytics tasks: image references, manifests, retry rules,
// event rejection.
import { describe, expect, it } from "vitest";
import { rejectionOf } from "../../../src/runners/models/analytics/task.ts";
import { HttpStatusError, withRetries } from "../../../src/runners/models/ecr/http-retry.ts";
import { parseImageReference, parseManifest } from "../../../src/runners/models/ecr/oci.ts";
import { PermanentError, RetryableError } from "../../../src/runners/sdk/task.ts";

describe("image references", () => {
  it("parses host, repository and tag or digest", () => {
    expect(parseImageReference("127.0.0.1:5000/models/a:v1")).toEqual({
      registry: "127.0.0.1:5000",
      repository: "models/a",
      reference: "v1",
    });
    expect(parseImageReference("ghcr.io/org/img")).toMatchObject({ reference: "latest" });
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseImageReference(`r.io/x@${digest}`)).toMatchObject({ repository: "x", reference: digest });
  });
  it("explains what is wrong", () => {
    expect(() => parseImageReference("justaname")).toThrow(/no registry host/);
    expect(() => parseImageReference("r.io/UPPER:v1")).toThrow(/not a valid repository/);
    expect(() => parseImageReference("r.io/x@sha256:zz")).toThrow(/not a sha256 digest/);
  });
});

describe("manifests", () => {
  it("lists the blobs of an image and the manifests of an index", () => {
    const d = (n: number) => ({ mediaType: "x", digest: `sha256:${String(n).repeat(64)}`, size: n });
    expect(
      parseManifest(Buffer.from(JSON.stringify({ config: d(1), layers: [d(2), d(3)] }))).blobs,
    ).toHaveLength(3);
    expect(parseManifest(Buffer.from(JSON.stringify({ manifests: [d(4)] }))).manifests).toHaveLength(1);
  });
});

describe("retries inside an attempt", () => {
  const fast = { tries: 3, initialDelayMs: 1, maxDelayMs: 2 };
  it("retries 429 and 5xx, then succeeds", async () => {
    const failures = [new HttpStatusError(429, "slow down"), new HttpStatusError(503, "busy")];
    let calls = 0;
    const result = await withRetries(
      "op",
      async () => {
        calls++;
        const failure = failures.shift();
        if (failure) throw failure;
        return "ok";
      },
      fast,
    );
    expect([result, calls]).toEqual(["ok", 3]);
  });
  it("gives up with a RetryableError after the last try", async () => {
    await expect(
      withRetries("op", async () => Promise.reject(new HttpStatusError(500, "down")), fast),
    ).rejects.toBeInstanceOf(RetryableError);
  });
  it("does not retry auth or not-found errors", async () => {
    let calls = 0;
    const denied = withRetries(
      "op",
      async () => {
        calls++;
        throw new HttpStatusError(401, "denied");
      },
      fast,
    );
    await expect(denied).rejects.toMatchObject({ type: "RegistryAuthFailed" });
    await expect(denied).rejects.toBeInstanceOf(PermanentError);
    expect(calls).toBe(1);
    await expect(
      withRetries("op", async () => Promise.reject(new HttpStatusError(404, "gone")), fast),
    ).rejects.toMatchObject({ type: "NotFound" });
  });
});

describe("analytics event rejection", () => {
  const now = new Date("2026-03-31T12:00:00Z");
  it("accepts events inside the de-duplication window", () => {
    expect(rejectionOf(new Date("2026-03-31T00:00:00Z"), now)).toBeNull();
    expect(rejectionOf(new Date("2026-03-02T00:00:00Z"), now)).toBeNull();
  });
  it("rejects old and future events with the reason", () => {
    expect(rejectionOf(new Date("2026-02-01T00:00:00Z"), now)).toMatch(/30 days/);
    expect(rejectionOf(new Date("2026-04-02T00:00:00Z"), now)).toMatch(/future/);
  });
});
