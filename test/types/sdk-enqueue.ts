// Type-level test, checked by `tsc -p .`: enqueue's input is typed by the task's zod schema, and
// result() by its output schema. Each `@ts-expect-error` line must fail to compile.
import type { TaskClient } from "../../src/sdk/index.ts";

export async function typedEnqueue(tasks: TaskClient) {
  const welcome = await tasks.enqueue("email.send_welcome_email", { email: "ada@example.com", name: "Ada" });
  const sent = await welcome.result();
  const messageId: string = sent.messageId;

  // @ts-expect-error a misspelt field (emial) is not an input of email.send_welcome_email
  await tasks.enqueue("email.send_welcome_email", { emial: "ada@example.com", name: "Ada" });
  // @ts-expect-error a missing field (name)
  await tasks.enqueue("email.send_welcome_email", { email: "ada@example.com" });
  // @ts-expect-error a field of the wrong type
  await tasks.enqueue("email.send_welcome_email", { email: "ada@example.com", name: 42 });
  // @ts-expect-error an unknown task name is not accepted by the typed enqueue
  await tasks.enqueue("email.send_welcom_email", { email: "ada@example.com", name: "Ada" });
  // @ts-expect-error the output has no such field
  sent.notAField;
  // sendTask is untyped: any name and input compile (checked at run time).
  await tasks.sendTask("testing.noop", { anything: true });
  return messageId;
}
