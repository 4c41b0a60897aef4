import { describe, expect, it } from "vitest";
import {
  cronJobName,
  jobName,
  MAX_CRONJOB_NAME,
  MAX_JOB_NAME,
  slotChildName,
} from "../../../src/operator/naming.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("naming", () => {
  it("names a short run's Job after the run and the attempt", () => {
    expect(jobName("welcome-1", 3)).toBe("welcome-1-a3");
  });

  it("keeps long names under 63 characters, valid, and distinct for runs sharing a long prefix", () => {
    const prefix = "a".repeat(70);
    const one = jobName(`${prefix}-one`, 12);
    const two = jobName(`${prefix}-two`, 12);
    for (const name of [one, two]) {
      expect(name.length).toBeLessThanOrEqual(MAX_JOB_NAME);
      expect(name).toMatch(DNS_LABEL);
      expect(name.endsWith("-a12")).toBe(true);
    }
    expect(one).not.toBe(two);
    expect(jobName(`${prefix}-one`, 12)).toBe(one);
  });

  it("never leaves a trailing dash before the hash when cutting", () => {
    const name = jobName(`${"b".repeat(49)}-${"c".repeat(30)}`, 1);
    expect(name).toMatch(DNS_LABEL);
    expect(name).not.toContain("--");
  });

  it("CronJob names leave room for the controller's minute suffix", () => {
    expect(cronJobName("x".repeat(80)).length).toBeLessThanOrEqual(MAX_CRONJOB_NAME);
    expect(cronJobName("nightly")).toBe("nightly");
  });

  it("names a schedule slot's child after the slot's minute, the same for the same slot", () => {
    const slot = new Date("2026-03-01T00:05:00Z");
    expect(slotChildName("nightly", slot)).toBe(`nightly-${slot.getTime() / 60_000}`);
    expect(slotChildName("nightly", new Date("2026-03-01T00:05:59.999Z"))).toBe(
      slotChildName("nightly", slot),
    );
    expect(slotChildName("nightly", new Date("2026-03-01T00:06:00Z"))).not.toBe(
      slotChildName("nightly", slot),
    );
  });

  it("keeps a slot's child TaskRun name, a label value on its Jobs, within 63 characters", () => {
    const parent = "p".repeat(63);
    const slot = new Date("2026-03-01T00:05:00Z");
    const child = slotChildName(parent, slot);
    expect(child.length).toBeLessThanOrEqual(63);
    expect(child).toMatch(DNS_LABEL);
    expect(child.endsWith(`-${slot.getTime() / 60_000}`)).toBe(true);
    expect(slotChildName(parent, new Date("2026-03-01T00:06:00Z"))).not.toBe(child);
  });
});
