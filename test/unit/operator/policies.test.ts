import { describe, expect, it } from "vitest";
import { mayStart } from "../../../src/operator/policies.ts";

const now = new Date("2026-01-01T12:00:00Z");
const facts = (spec: object, status: object = {}) => ({
  spec: { task: "testing.noop", ...spec },
  status,
  now,
});

describe("start policies", () => {
  it("allows a plain run", () => {
    expect(mayStart(facts({}))).toBeUndefined();
  });

  it("a run not yet due waits with NotYetDue until runAt", () => {
    const objection = mayStart(facts({ runAt: "2026-01-01T12:05:00Z" }));
    expect(objection).toMatchObject({ verdict: "wait", reason: "NotYetDue", phase: "Waiting" });
    expect(objection?.verdict === "wait" && objection.until?.toISOString()).toBe("2026-01-01T12:05:00.000Z");
    expect(mayStart(facts({ runAt: "2026-01-01T11:59:59Z" }))).toBeUndefined();
  });

  it("an expired run ends Expired, even when it is also not yet due", () => {
    expect(mayStart(facts({ expiresAt: "2026-01-01T12:00:00Z" }))).toMatchObject({
      verdict: "finish",
      phase: "Expired",
    });
    // runAt after expiresAt (the CRD refuses it; an older object or a clock step may have it).
    expect(
      mayStart(facts({ expiresAt: "2026-01-01T12:00:00Z", runAt: "2026-01-01T12:05:00Z" })),
    ).toMatchObject({ verdict: "finish", phase: "Expired" });
  });

  it("cancel wins over every other reason", () => {
    expect(
      mayStart(facts({ cancel: true, expiresAt: "2020-01-01T00:00:00Z", runAt: "2030-01-01T00:00:00Z" })),
    ).toMatchObject({ verdict: "finish", phase: "Cancelled", reason: "Cancelled" });
  });

  it("a pending backoff waits as Retrying until the next attempt time", () => {
    expect(mayStart(facts({}, { nextAttemptTime: "2026-01-01T12:00:30Z" }))).toMatchObject({
      verdict: "wait",
      phase: "Retrying",
      reason: "BackoffPending",
    });
    expect(mayStart(facts({}, { nextAttemptTime: "2026-01-01T11:00:30Z" }))).toBeUndefined();
  });
});
