import { describe, expect, it } from "vitest";
import { queryNumber, readingOf } from "../../../src/operator/autoscaler/prometheus.ts";
import { freePort } from "../../harness/processes.ts";

describe("reading a Prometheus answer", () => {
  it("sums a vector, reads a scalar, and calls an empty vector or NaN NoData", () => {
    expect(readingOf({ resultType: "vector", result: [{ value: [1, "2"] }, { value: [1, "3.5"] }] })).toEqual(
      { value: 5.5 },
    );
    expect(readingOf({ resultType: "scalar", result: [1, "7"] })).toEqual({ value: 7 });
    expect(readingOf({ resultType: "vector", result: [] })).toMatchObject({ reason: "NoData" });
    expect(readingOf({ resultType: "vector", result: [{ value: [1, "NaN"] }] })).toMatchObject({
      reason: "NoData",
    });
    expect(readingOf({ resultType: "matrix", result: [] })).toMatchObject({ reason: "NoData" });
  });

  it("an unreachable server is PrometheusUnavailable with the address in the error", async () => {
    const port = await freePort();
    const r = await queryNumber(`http://127.0.0.1:${port}`, "up", 1_000);
    expect(r).toMatchObject({ reason: "PrometheusUnavailable" });
    expect("error" in r && r.error).toContain(`127.0.0.1:${port}`);
  });
});
