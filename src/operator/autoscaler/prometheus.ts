// A small Prometheus HTTP API client: one instant query reduced to one number (the sum of the
// returned series), or a Reading that says why there is none.
import type { Reading } from "./recommend.ts";

interface QueryResponse {
  status: "success" | "error";
  error?: string;
  data?: {
    resultType: "vector" | "scalar" | "matrix" | "string";
    result: unknown;
  };
}

export async function queryNumber(address: string, query: string, timeoutMs = 3_000): Promise<Reading> {
  let response: Response;
  try {
    response = await fetch(new URL("/api/v1/query", address), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    return { reason: "PrometheusUnavailable", error: `${address} unreachable: ${cause}` };
  }
  let body: QueryResponse;
  try {
    body = (await response.json()) as QueryResponse;
  } catch {
    return {
      reason: "PrometheusUnavailable",
      error: `${address} answered HTTP ${response.status} without JSON`,
    };
  }
  if (body.status !== "success" || !body.data) {
    return {
      reason: "PrometheusUnavailable",
      error: `query failed: ${body.error ?? `HTTP ${response.status}`}`,
    };
  }
  return readingOf(body.data);
}

/** The sum of an instant vector, or a scalar; an empty vector or NaN is NoData. */
export function readingOf(data: NonNullable<QueryResponse["data"]>): Reading {
  let values: number[] = [];
  if (data.resultType === "scalar") values = [Number((data.result as [number, string])[1])];
  else if (data.resultType === "vector") {
    values = (data.result as Array<{ value: [number, string] }>).map((s) => Number(s.value[1]));
  } else return { reason: "NoData", error: `query returned a ${data.resultType}, not a vector or scalar` };
  if (values.length === 0) return { reason: "NoData", error: "query returned no series" };
  const sum = values.reduce((a, b) => a + b, 0);
  if (!Number.isFinite(sum)) return { reason: "NoData", error: `query returned ${sum}` };
  return { value: sum };
}
