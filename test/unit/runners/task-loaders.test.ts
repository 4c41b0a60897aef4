// The runner's lazy loader table (task-loaders.ts) and the registry's typed list (registry.ts) must
// agree exactly: the same names, and each loader returning the very definition object the registry
// holds, so a task added to one and not the other fails here rather than at a runner's start.
import { describe, expect, it } from "vitest";
import { builtInTaskSource, taskLoaders } from "../../../src/runners/task-loaders.ts";

// The registry reads RUNNER_ENABLE_TEST_TASKS when it is imported: set it first so that the
// testing.* tasks are compared too (this file's module graph is its own under vitest).
process.env.RUNNER_ENABLE_TEST_TASKS = "1";
const { builtInTasks } = await import("../../../src/runners/registry.ts");

describe("task loader table", () => {
  it("has exactly the registry's names, each loading the registry's own definition object", async () => {
    const loaders = taskLoaders({ RUNNER_ENABLE_TEST_TASKS: "1" });
    expect([...loaders.keys()].sort()).toEqual([...builtInTasks.keys()].sort());
    for (const [name, load] of loaders) {
      const definition = await load();
      expect(definition, name).toBe(builtInTasks.get(name));
    }
  });

  it("leaves the testing.* tasks out unless RUNNER_ENABLE_TEST_TASKS=1", () => {
    const names = [...taskLoaders({}).keys()];
    expect(names.filter((name) => name.startsWith("testing."))).toEqual([]);
    expect(names.length).toBe([...builtInTasks.keys()].filter((name) => !name.startsWith("testing.")).length);
  });

  it("finds an unknown name nowhere and lists the registry's names for the error", async () => {
    const source = builtInTaskSource({});
    expect(await source.find("email.no_such_task")).toBeUndefined();
    expect([...(await source.names())].sort()).toEqual([...builtInTasks.keys()].sort());
    expect(await source.find("email.send_welcome_email")).toBe(builtInTasks.get("email.send_welcome_email"));
  });
});
