// The type map from a built-in task's name to its input and output types, read from the runner
// registry's typed list: `enqueue("email.send_welcome_email", { email, name })` is checked by tsc.
import type { z } from "zod";
import type { BuiltInTaskDefinition } from "../runners/registry.ts";

type OutputOf<D extends { readonly output?: unknown }> =
  NonNullable<D["output"]> extends z.ZodType ? z.output<NonNullable<D["output"]>> : unknown;

/** For each built-in task: the input it accepts (before zod defaults) and the output it returns. */
export type TaskTypes = {
  [D in BuiltInTaskDefinition as D["name"]]: { input: z.input<D["input"]>; output: OutputOf<D> };
};

export type TaskName = keyof TaskTypes & string;
export type TaskInput<N extends TaskName> = TaskTypes[N]["input"];
export type TaskOutput<N extends TaskName> = TaskTypes[N]["output"];
