// kubectl-task: submit, get, list, logs, wait, cancel and retry TaskRuns from the terminal (a
// kubectl plugin: `kubectl task ...`). Uses the kubeconfig like kubectl (KUBECONFIG, --kubeconfig,
// --context, -n/--namespace); results come from Redis when REDIS_URL or --redis-url is given.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import { stringify } from "yaml";
import { LABELS } from "../operator/api/common.ts";
import type { TaskRun } from "../operator/api/taskrun.ts";
import { builtInTasks } from "../runners/registry.ts";
import { ResultsClient } from "../runners/results/index.ts";
import { apiClient } from "../sdk/api-client.ts";
import { TaskInputError, type TaskRunRef, TaskWaitTimeoutError } from "../sdk/errors.ts";
import { submitTask } from "../sdk/submit.ts";
import { kubeStatusError, TaskRunApi } from "../sdk/taskruns.ts";
import { attemptPod, LIST_COLUMNS, type ListFilter, matches, retryOf, table, taskRunRow } from "./views.ts";

const USAGE = `kubectl task — submit and watch TaskRuns (tasks.synthetiq.io)

Commands:
  submit TASK [--input JSON | --input-file FILE] [--queue Q] [--priority N] [--countdown SECONDS]
              [--idempotency-key KEY] [--wait [--timeout SECONDS]]
  get NAME                     status (and result, with Redis) of one TaskRun
  list [--active|--scheduled|--failed] [-A]
  logs NAME [--attempt N]      pod logs of the latest (or the given) attempt
  wait NAME [--timeout SECONDS]   exit 0 when it succeeded, 1 when it ended otherwise or timed out
  cancel NAME
  retry NAME                   a new TaskRun with the task and input of a Failed/Expired/Cancelled one

Flags: --kubeconfig PATH, --context NAME, -n/--namespace NS, -o/--output table|json|yaml,
       --redis-url URL (default $REDIS_URL)`;

const options = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  namespace: { type: "string", short: "n" },
  "all-namespaces": { type: "boolean", short: "A" },
  output: { type: "string", short: "o" },
  "redis-url": { type: "string" },
  input: { type: "string" },
  "input-file": { type: "string" },
  queue: { type: "string" },
  priority: { type: "string" },
  countdown: { type: "string" },
  "idempotency-key": { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  attempt: { type: "string" },
  active: { type: "boolean" },
  scheduled: { type: "boolean" },
  failed: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

class UsageError extends Error {}

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

function number(flags: Flags, name: "priority" | "countdown" | "timeout" | "attempt"): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  return value;
}

function print(flags: Flags, value: unknown, human: () => string) {
  const format = flags.output ?? "table";
  if (format === "json") process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === "yaml") process.stdout.write(stringify(value));
  else if (format === "table" || format === "wide") process.stdout.write(`${human()}\n`);
  else throw new UsageError(`-o/--output must be table, json or yaml, got "${format}"`);
}

async function run(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseArgs({
    args: argv,
    options,
    allowPositionals: true,
    strict: true,
  });
  const [command, target] = positionals;
  if (flags.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || flags.help ? 0 : 2;
  }
  const kc = new KubeConfig();
  if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
  else kc.loadFromDefault();
  if (flags.context) kc.setCurrentContext(flags.context);
  const namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  const taskRuns = new TaskRunApi(kc);
  const redisUrl = flags["redis-url"] ?? process.env.REDIS_URL;
  const redis = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true }) : undefined;
  const results = redis ? new ResultsClient(redis) : undefined;
  const need = (what: string) => {
    if (!target) throw new UsageError(`${command} needs ${what}`);
    return target;
  };
  const now = new Date();
  try {
    switch (command) {
      case "submit": {
        const task = need("a task name (e.g. email.send_welcome_email)");
        if (flags.input !== undefined && flags["input-file"] !== undefined) {
          throw new UsageError("give --input or --input-file, not both");
        }
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
        const priority = number(flags, "priority");
        const countdown = number(flags, "countdown");
        const { taskRun, created } = await submitTask({ taskRuns, tasks: builtInTasks }, task, input, {
          namespace,
          ...(flags.queue ? { queue: flags.queue } : {}),
          ...(priority === undefined ? {} : { priority }),
          ...(countdown === undefined ? {} : { countdown }),
          ...(flags["idempotency-key"] ? { idempotencyKey: flags["idempotency-key"] } : {}),
        });
        const name = taskRun.metadata.name ?? "";
        if (!flags.wait) {
          print(
            flags,
            taskRun,
            () =>
              `taskrun.tasks.synthetiq.io/${name} ${created ? "created" : "unchanged (same idempotency key)"}`,
          );
          return 0;
        }
        return await waitFor(flags, { namespace, name }, taskRuns, results);
      }
      case "get": {
        const name = need("a TaskRun name");
        const taskRun = await taskRuns.get({ namespace, name });
        const result = results ? await results.read({ namespace, name }) : undefined;
        print(flags, result === undefined ? taskRun : { ...taskRun, result }, () => {
          const lines = [table(LIST_COLUMNS, [taskRunRow(taskRun, now)])];
          const condition = taskRun.status?.conditions?.find((c) => c.type === "Succeeded");
          if (condition?.message) lines.push(`\nMessage: ${condition.message}`);
          if (result?.status === "succeeded") lines.push(`Output: ${JSON.stringify(result.output)}`);
          if (result?.error) lines.push(`Error: ${result.error.type}: ${result.error.message}`);
          return lines.join("\n");
        });
        return 0;
      }
      case "list": {
        const chosen = (["active", "scheduled", "failed"] as const).filter((f) => flags[f]);
        if (chosen.length > 1) throw new UsageError("give at most one of --active, --scheduled, --failed");
        const filter: ListFilter | undefined = chosen[0];
        const all = flags["all-namespaces"] === true;
        const items = (await taskRuns.list(all ? undefined : namespace))
          .filter((t) => filter === undefined || matches(t, filter, now))
          .sort((a, b) =>
            String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
          );
        print(flags, { apiVersion: "v1", kind: "List", items }, () => {
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
        const name = need("a TaskRun name");
        const taskRun = await taskRuns.get({ namespace, name });
        const attempt = number(flags, "attempt");
        const pod = await podOfAttempt(kc, taskRun, attempt);
        const core = apiClient(kc, CoreV1Api);
        const text = await core.readNamespacedPodLog({ namespace, name: pod }).catch((error: unknown) => {
          throw kubeStatusError(error, `logs of pod ${namespace}/${pod}`);
        });
        process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
        return 0;
      }
      case "wait":
        return await waitFor(flags, { namespace, name: need("a TaskRun name") }, taskRuns, results);
      case "cancel": {
        const name = need("a TaskRun name");
        const taskRun = await taskRuns.cancel({ namespace, name });
        print(flags, taskRun, () => `taskrun.tasks.synthetiq.io/${name} cancel requested`);
        return 0;
      }
      case "retry": {
        const name = need("a TaskRun name");
        const retry = retryOf(await taskRuns.get({ namespace, name }));
        if (!retry.ok) throw new UsageError(retry.message);
        const created = await taskRuns.create(retry.taskRun);
        print(
          flags,
          created,
          () => `taskrun.tasks.synthetiq.io/${created.metadata.name} created (retry of ${name})`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } finally {
    redis?.disconnect();
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
    throw new UsageError(
      `TaskRun ${name} has no pod${attempt === undefined ? " yet" : ` for attempt ${attempt}`}`,
    );
  }
  return newest.metadata.name;
}

/**
 * Waits for the TaskRun's phase, which is what `get` and kubectl show: the operator records it about
 * a second after the runner's result reaches Redis. The result record then gives the output or error.
 */
async function waitFor(
  flags: Flags,
  ref: TaskRunRef,
  taskRuns: TaskRunApi,
  results: ResultsClient | undefined,
): Promise<number> {
  const timeout = number(flags, "timeout");
  const signal = timeout === undefined ? new AbortController().signal : AbortSignal.timeout(timeout * 1000);
  const taskRun = await taskRuns.waitFinished(ref, signal).catch((error: unknown) => {
    throw signal.aborted ? new TaskWaitTimeoutError(ref, (timeout ?? 0) * 1000) : error;
  });
  const phase = taskRun.status?.phase ?? "Unknown";
  const record = (await results?.read(ref).catch(() => null)) ?? null;
  print(flags, { namespace: ref.namespace, name: ref.name, phase, result: record }, () => {
    const detail =
      record?.status === "succeeded"
        ? ` output=${JSON.stringify(record.output)}`
        : record?.error
          ? ` ${record.error.type}: ${record.error.message}`
          : "";
    return `taskrun.tasks.synthetiq.io/${ref.name} ${phase}${detail}`;
  });
  return phase === "Succeeded" ? 0 : 1;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  const message =
    error instanceof TaskInputError
      ? `${error.message}\n${error.problems.map((p) => `  ${p.field}: ${p.message}`).join("\n")}`
      : (error as Error).message;
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
