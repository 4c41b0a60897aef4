// kubectl-task: submit, get, list, logs, wait, cancel and retry TaskRuns from the terminal (a
// kubectl plugin: `kubectl task ...`). Uses the kubeconfig like kubectl (KUBECONFIG, --kubeconfig,
// --context, -n/--namespace); results come from Redis when REDIS_URL or --redis-url is given.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import { stringify } from "yaml";
import { GROUP, LABELS, VERSION } from "../operator/api/common.ts";
import type { TaskRun } from "../operator/api/taskrun.ts";
import { isNotFound } from "../operator/kube/errors.ts";
import { builtInTasks } from "../runners/registry.ts";
import { type ResultRecord, ResultsClient } from "../runners/results/index.ts";
import { apiClient } from "../sdk/api-client.ts";
import type { TaskRunRef } from "../sdk/errors.ts";
import { submitTask } from "../sdk/submit.ts";
import { kubeStatusError, TaskRunApi } from "../sdk/taskruns.ts";
import { type CommandLine, type OutputFormat, parseCommandLine, USAGE, UsageError } from "./flags.ts";
import { loadKubeConfig } from "./kubeconfig.ts";
import {
  attemptPod,
  LIST_COLUMNS,
  matches,
  missingPod,
  retryOf,
  table,
  taskRunRow,
  unfinishedState,
} from "./views.ts";

function print(output: OutputFormat, value: unknown, human: () => string) {
  if (output === "json") process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (output === "yaml") process.stdout.write(stringify(value));
  else process.stdout.write(`${human()}\n`);
}

/**
 * Results from Redis when it is configured. A Redis that cannot be reached does not fail a command
 * that read the TaskRun: the result is left out with a warning that says why. The connection's
 * errors are kept for that warning (without a listener ioredis prints each one as a stack trace).
 */
class Results {
  readonly #redis: Redis | undefined;
  readonly #client: ResultsClient | undefined;
  #connectionError: Error | undefined;

  constructor(url: string | undefined) {
    // One read per command: a connection that fails is reported, not retried. ioredis waits
    // disconnectTimeout for a socket that has already failed to close again, which held the exit.
    this.#redis = url
      ? new Redis(url, { lazyConnect: true, retryStrategy: () => null, disconnectTimeout: 100 })
      : undefined;
    this.#redis?.on("error", (error: Error) => {
      this.#connectionError = error;
    });
    this.#client = this.#redis ? new ResultsClient(this.#redis) : undefined;
  }

  /** Said where a result would be shown when no Redis is configured, so that its absence is explained. */
  get unreadHint(): string | undefined {
    return this.#client ? undefined : "result not read: set REDIS_URL or --redis-url to read it from Redis";
  }

  /** The record (null: there is none); undefined when Redis is not configured or could not be read. */
  async read(ref: TaskRunRef): Promise<ResultRecord | null | undefined> {
    if (!this.#client) return undefined;
    try {
      return await this.#client.read(ref);
    } catch (error) {
      const reason = this.#connectionError?.message ?? (error as Error).message;
      process.stderr.write(`warning: result unavailable: Redis: ${reason}\n`);
      return undefined;
    }
  }

  close() {
    this.#redis?.disconnect();
  }
}

/**
 * A queue named on the command line that no TaskQueue governs is most often a typo: the run would
 * start ungoverned and without the queue's defaults (its Secrets' environment). Said, not refused:
 * a queue without a TaskQueue is allowed. Unknown when the user may not read TaskQueues.
 */
async function warnIfNoTaskQueue(kc: KubeConfig, namespace: string, queue: string) {
  try {
    await apiClient(kc, CustomObjectsApi).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "taskqueues",
      name: queue,
    });
  } catch (error) {
    if (isNotFound(kubeStatusError(error, "get TaskQueue"))) {
      process.stderr.write(
        `warning: no TaskQueue "${queue}" in namespace ${namespace}: the run starts without a queue's concurrency limits and defaults (a typo?)\n`,
      );
    }
  }
}

async function run(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv);
  if (line === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { command, target, flags, output } = line;
  const kc = loadKubeConfig(flags.kubeconfig, flags.context);
  const namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  const taskRuns = new TaskRunApi(kc);
  const results = new Results(flags["redis-url"] ?? process.env.REDIS_URL);
  const now = new Date();
  try {
    switch (command) {
      case "submit": {
        const text =
          flags["input-file"] !== undefined
            ? readFileSync(flags["input-file"], "utf8")
            : (flags.input ?? "{}");
        let input: unknown;
        try {
          input = JSON.parse(text);
        } catch (error) {
          throw new UsageError(`the input is not JSON: ${(error as Error).message}`);
        }
        if (flags.queue !== undefined) await warnIfNoTaskQueue(kc, namespace, flags.queue);
        const { taskRun, created } = await submitTask({ taskRuns, tasks: builtInTasks }, target, input, {
          namespace,
          ...(flags.queue === undefined ? {} : { queue: flags.queue }),
          ...(line.priority === undefined ? {} : { priority: line.priority }),
          ...(line.countdown === undefined ? {} : { countdown: line.countdown }),
          ...(flags["idempotency-key"] === undefined ? {} : { idempotencyKey: flags["idempotency-key"] }),
        });
        const name = taskRun.metadata.name ?? "";
        if (!flags.wait) {
          print(
            output,
            taskRun,
            () =>
              `taskrun.tasks.synthetiq.io/${name} ${created ? "created" : "unchanged (same idempotency key)"}`,
          );
          return 0;
        }
        return await waitFor(line, { namespace, name }, taskRuns, results);
      }
      case "get": {
        const ref = { namespace, name: target };
        const taskRun = await taskRuns.get(ref);
        const result = await results.read(ref);
        print(output, result === undefined ? taskRun : { ...taskRun, result }, () => {
          const lines = [table(LIST_COLUMNS, [taskRunRow(taskRun, now)])];
          const condition = taskRun.status?.conditions?.find((c) => c.type === "Succeeded");
          if (condition?.message) lines.push(`\nMessage: ${condition.message}`);
          if (result?.status === "succeeded") lines.push(`Output: ${JSON.stringify(result.output)}`);
          if (result?.error) lines.push(`Error: ${result.error.type}: ${result.error.message}`);
          if (taskRun.status?.resultRef && results.unreadHint) lines.push(`Output: ${results.unreadHint}`);
          return lines.join("\n");
        });
        return 0;
      }
      case "list": {
        const filter = line.listFilter;
        const all = flags["all-namespaces"] === true;
        const items = (await taskRuns.list(all ? undefined : namespace))
          .filter((t) => filter === undefined || matches(t, filter, now))
          .sort((a, b) =>
            String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
          );
        print(output, { apiVersion: "v1", kind: "List", items }, () => {
          if (items.length === 0)
            return `No ${filter ?? ""} TaskRuns found in ${all ? "any namespace" : `namespace ${namespace}`}.`.replace(
              "  ",
              " ",
            );
          const header = all ? ["NAMESPACE", ...LIST_COLUMNS] : [...LIST_COLUMNS];
          return table(
            header,
            items.map((t) =>
              all ? [t.metadata.namespace ?? "", ...taskRunRow(t, now)] : taskRunRow(t, now),
            ),
          );
        });
        return 0;
      }
      case "logs": {
        const taskRun = await taskRuns.get({ namespace, name: target });
        const pod = await podOfAttempt(kc, taskRun, line.attempt);
        const core = apiClient(kc, CoreV1Api);
        const text = await core.readNamespacedPodLog({ namespace, name: pod }).catch((error: unknown) => {
          const mapped = kubeStatusError(error, `logs of pod ${namespace}/${pod}`);
          // The status named a pod that has been removed since.
          if (isNotFound(mapped)) throw new Error(missingPod(taskRun, line.attempt).message);
          throw mapped;
        });
        process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
        return 0;
      }
      case "wait":
        return await waitFor(line, { namespace, name: target }, taskRuns, results);
      case "cancel": {
        const outcome = await taskRuns.cancel({ namespace, name: target });
        if (!outcome.cancelled) {
          throw new Error(
            `TaskRun ${namespace}/${target} already ended ${outcome.phase}: there is nothing to cancel`,
          );
        }
        print(output, outcome.taskRun, () => `taskrun.tasks.synthetiq.io/${target} cancel requested`);
        return 0;
      }
      case "retry": {
        const retry = retryOf(await taskRuns.get({ namespace, name: target }));
        if (!retry.ok) throw new UsageError(retry.message);
        const created = await taskRuns.create(retry.taskRun);
        print(
          output,
          created,
          () => `taskrun.tasks.synthetiq.io/${created.metadata.name} created (retry of ${target})`,
        );
        return 0;
      }
    }
  } finally {
    results.close();
  }
}

/** The pod of an attempt: from the TaskRun's status, else the newest pod labelled with the TaskRun. */
async function podOfAttempt(kc: KubeConfig, taskRun: TaskRun, attempt: number | undefined): Promise<string> {
  const name = taskRun.metadata.name ?? "";
  const recorded = attemptPod(taskRun, attempt);
  if (recorded?.pod) return recorded.pod;
  const core = apiClient(kc, CoreV1Api);
  const selector = [
    `${LABELS.taskRun}=${name}`,
    ...(attempt === undefined ? [] : [`${LABELS.attempt}=${attempt}`]),
  ];
  const pods = await core.listNamespacedPod({
    namespace: taskRun.metadata.namespace ?? "default",
    labelSelector: selector.join(","),
  });
  const newest = pods.items.sort((a, b) =>
    String(b.metadata?.creationTimestamp?.toISOString?.() ?? "").localeCompare(
      String(a.metadata?.creationTimestamp?.toISOString?.() ?? ""),
    ),
  )[0];
  if (!newest?.metadata?.name) {
    const missing = missingPod(taskRun, attempt);
    throw missing.usage ? new UsageError(missing.message) : new Error(missing.message);
  }
  return newest.metadata.name;
}

/**
 * Waits for the TaskRun's phase, which is what `get` and kubectl show: the operator records it about
 * a second after the runner's result reaches Redis. The result record then gives the output or error.
 */
async function waitFor(
  line: CommandLine,
  ref: TaskRunRef,
  taskRuns: TaskRunApi,
  results: Results,
): Promise<number> {
  const { timeoutMs } = line;
  const signal = timeoutMs === undefined ? new AbortController().signal : AbortSignal.timeout(timeoutMs);
  const taskRun = await taskRuns.waitFinished(ref, signal).catch(async (error: unknown) => {
    if (!signal.aborted) throw error;
    // A slow API server may be why the wait timed out: where the run stands is worth 5 s more, no longer.
    const current = await Promise.race([
      taskRuns.get(ref).catch(() => undefined),
      sleep(5_000, undefined, { ref: false }),
    ]);
    const state = current ? `: ${unfinishedState(current)}` : "";
    throw new Error(
      `TaskRun ${ref.namespace}/${ref.name} did not finish within ${(timeoutMs ?? 0) / 1000} s${state}`,
    );
  });
  const phase = taskRun.status?.phase ?? "Unknown";
  const record = (await results.read(ref)) ?? null;
  print(line.output, { namespace: ref.namespace, name: ref.name, phase, result: record }, () => {
    const detail =
      record?.status === "succeeded"
        ? ` output=${JSON.stringify(record.output)}`
        : record?.error
          ? ` ${record.error.type}: ${record.error.message}`
          : results.unreadHint
            ? ` (${results.unreadHint})`
            : "";
    return `taskrun.tasks.synthetiq.io/${ref.name} ${phase}${detail}`;
  });
  return phase === "Succeeded" ? 0 : 1;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  // A TaskInputError's message lists every bad field already.
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
