// Results in Redis: the record, its key layout, the runner's writer and the readers' client.
export { ResultsClient, ResultWaitTimeoutError, type WaitOptions } from "./client.ts";
export { connectRedis } from "./connection.ts";
export { attemptResultKey, doneChannel, latestResultKey } from "./keys.ts";
export {
  type ExitCode,
  exitCodeOf,
  isFinal,
  type ResultError,
  type ResultRecord,
  type ResultStatus,
  ResultTooLargeError,
  serializeRecord,
  type TaskRunRef,
} from "./record.ts";
export { ResultStore, type ResultStoreOptions, ResultWriteError } from "./store.ts";
