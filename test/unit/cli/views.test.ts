// What the CLI derives from a TaskRun without asking the cluster: a retry's name (within the
// 63 characters a TaskRun name may have, not growing retry after retry) and why a log has no pod.
import { describe, expect, test } from "vitest";
import {
  missingPod,
  RETRY_OF_ANNOTATION,
  retryGenerateName,
  retryOf,
  unfinishedState,
} from "../../../src/cli/views.ts";
import type { TaskRun } from "../../../src/operator/api/taskrun.ts";
import { MAX_TASKRUN_NAME } from "../../../src/operator/naming.ts";

/** The 5 characters the API server appends to a generateName. */
const GENERATED = "x7k2q";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const run = (
  name: string,
  status: TaskRun["status"] = { phase: "Failed" },
  retryOfName?: string,
): TaskRun => ({
  apiVersion: "tasks.synthetiq.io/v1alpha1",
  kind: "TaskRun",
  metadata: {
    name,
    namespace: "apps",
    ...(retryOfName ? { annotations: { [RETRY_OF_ANNOTATION]: retryOfName } } : {}),
  },
  spec: { task: "testing.noop", input: {} },
  status,
});

/** The retry of `t` as the API server names it. */
function retried(t: TaskRun): TaskRun {
  const made = retryOf(t);
  if (!made.ok) throw new Error(made.message);
  const { generateName } = made.taskRun.metadata as { generateName?: string };
  return run(`${generateName}${GENERATED}`, { phase: "Failed" }, t.metadata.name);
}

describe("retry names", () => {
  test("a short name gets -r- and the API server's characters", () => {
    expect(retryGenerateName(run("welcome-1"))).toBe("welcome-1-r-");
  });

  test("a long name is cut, with a hash, so that the generated name is at most 63 characters", () => {
    const long = `${"a".repeat(55)}-one`;
    const prefix = retryGenerateName(run(long));
    expect(prefix.length + GENERATED.length).toBe(MAX_TASKRUN_NAME);
    expect(`${prefix}${GENERATED}`).toMatch(DNS_LABEL);
    expect(prefix).not.toBe(retryGenerateName(run(`${"a".repeat(55)}-two`)));
  });

  test("a retry of a retry replaces the -r-xxxxx suffix instead of adding one", () => {
    const first = retried(run("welcome-1"));
    expect(first.metadata.name).toBe(`welcome-1-r-${GENERATED}`);
    expect(retried(first).metadata.name).toBe(`welcome-1-r-${GENERATED}`);
  });

  test("retrying a long name again and again stays at most 63 characters and stops changing", () => {
    let current = run("reports-generate-daily-report-0123456789abcdef0123456789");
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      current = retried(current);
      names.push(current.metadata.name ?? "");
    }
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(MAX_TASKRUN_NAME);
      expect(name).toMatch(DNS_LABEL);
    }
    expect(new Set(names).size).toBe(1);
  });

  test("a name that only looks like a retry's keeps its ending when it was not made by retry", () => {
    expect(retryGenerateName(run("backup-r-abcde"))).toBe("backup-r-abcde-r-");
  });
});

describe("what may be retried", () => {
  test("a run refused for its input is not retried: the same input would be refused again", () => {
    const refused = run("welcome-bad-input", {
      phase: "Failed",
      conditions: [
        {
          type: "InputValid",
          status: "False",
          reason: "InvalidInput",
          message: "input is invalid: email: Invalid email address",
          lastTransitionTime: "2026-11-25T06:00:00Z",
        },
      ],
    });
    const made = retryOf(refused);
    expect(made.ok).toBe(false);
    if (!made.ok) {
      expect(made.message).toContain(
        "TaskRun welcome-bad-input never started: input is invalid: email: Invalid email address",
      );
      expect(made.message).toContain("kubectl task submit testing.noop");
    }
  });

  test("a run of a task the operator did not know may be retried: an upgraded operator may know it", () => {
    const unknown = run("typo", {
      phase: "Failed",
      conditions: [
        {
          type: "InputValid",
          status: "False",
          reason: "UnknownTask",
          message: 'no task named "email.send_welcom"',
          lastTransitionTime: "2026-11-25T06:00:00Z",
        },
      ],
    });
    expect(retryOf(unknown).ok).toBe(true);
  });

  test("a run whose input was valid is retried with the same spec", () => {
    const failed = run("welcome-1", {
      phase: "Failed",
      conditions: [
        {
          type: "InputValid",
          status: "True",
          reason: "Valid",
          message: "ok",
          lastTransitionTime: "2026-11-25T06:00:00Z",
        },
      ],
    });
    const made = retryOf(failed);
    expect(made.ok && made.taskRun.spec).toMatchObject({ task: "testing.noop", input: {} });
  });

  test("a run still going, or a schedule, is not retried", () => {
    expect(retryOf(run("busy", { phase: "Running" }))).toMatchObject({ ok: false });
    expect(
      retryOf({
        ...run("nightly"),
        spec: { task: "testing.noop", input: {}, schedule: { cron: "0 3 * * *" } },
      }),
    ).toMatchObject({
      ok: false,
    });
  });
});

describe("where a run stands when a wait gives up", () => {
  const at = "2026-11-25T06:00:00Z";
  test("no status: no operator has seen it, most likely none watches its namespace", () => {
    expect(unfinishedState(run("r", {}))).toBe(
      "no operator has recorded a status for it (is one running and watching namespace apps?)",
    );
  });

  test("held by its queue: the Admitted condition says why", () => {
    const waiting = run("r", {
      phase: "Waiting",
      conditions: [
        {
          type: "Admitted",
          status: "False",
          reason: "QueueFull",
          message: "queue exports runs 3 of 3",
          lastTransitionTime: at,
        },
        {
          type: "Succeeded",
          status: "Unknown",
          reason: "Waiting",
          message: "waiting for its queue",
          lastTransitionTime: at,
        },
      ],
    });
    expect(unfinishedState(waiting)).toBe("it is Waiting: QueueFull: queue exports runs 3 of 3");
  });

  test("running: the Succeeded condition says why it has not finished", () => {
    const stuck = run("r", {
      phase: "Running",
      conditions: [
        { type: "Admitted", status: "True", reason: "Admitted", message: "started", lastTransitionTime: at },
        {
          type: "Succeeded",
          status: "Unknown",
          reason: "Unschedulable",
          message: "pod r-a1-x cannot be scheduled",
          lastTransitionTime: at,
        },
      ],
    });
    expect(unfinishedState(stuck)).toBe("it is Running: Unschedulable: pod r-a1-x cannot be scheduled");
    expect(unfinishedState(run("r", { phase: "Running" }))).toBe("it is Running");
  });
});

describe("a log without a pod", () => {
  const attempts = [{ attempt: 1, job: "run-1-a1", pod: "run-1-a1-xyz" }] as NonNullable<
    TaskRun["status"]
  >["attempts"];

  test("an attempt the run never had is a usage error", () => {
    expect(missingPod(run("run-1", { phase: "Failed", attempts, attemptCount: 1 }), 7)).toEqual({
      usage: true,
      message: "TaskRun run-1 has no pod for attempt 7: it has had 1 attempt",
    });
  });

  test("a finished run's pod is gone, not 'not yet', and that is a failure, not a usage error", () => {
    expect(missingPod(run("run-1", { phase: "Failed", attempts, attemptCount: 1 }), undefined)).toEqual({
      usage: false,
      message:
        "the pod of attempt 1 of TaskRun run-1 is gone: the run ended Failed and its pods were removed",
    });
    expect(missingPod(run("run-1", { phase: "Expired" }), undefined)).toEqual({
      usage: false,
      message: "TaskRun run-1 ended Expired without running: it never had a pod",
    });
  });

  test("a run that has not started has no pod yet", () => {
    expect(missingPod(run("run-1", { phase: "Waiting" }), undefined)).toEqual({
      usage: false,
      message: "TaskRun run-1 has no pod yet: it is Waiting and no attempt has started",
    });
  });
});
