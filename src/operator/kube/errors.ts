// The API server's error answers as one error type with its predicates, for both Kubernetes clients:
// the operator's REST client (client.ts) and the SDK's client-node calls (sdk/taskruns.ts). It imports
// nothing, so the SDK takes it without pulling the operator's REST client into its import graph.

/** An error answer of the API server: its HTTP status and its Status reason ("AlreadyExists", ...). */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export const isNotFound = (e: unknown) => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown) => e instanceof KubeApiError && e.status === 409;
export const isAlreadyExists = (e: unknown) => e instanceof KubeApiError && e.reason === "AlreadyExists";
