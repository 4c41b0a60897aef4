// email.send_welcome_email(email, name): the welcome mail for a new account.
import { z } from "zod";
import { defineTask } from "../sdk/task.ts";
import { sentMailSchema } from "./output.ts";
import { sendMailOnce } from "./smtp.ts";
import { renderWelcome } from "./templates.ts";

export const sendWelcomeEmail = defineTask({
  name: "email.send_welcome_email",
  queue: "emails",
  description: "Sends the welcome mail (text and HTML) to a new user.",
  input: z.object({
    email: z.email(),
    name: z.string().trim().min(1).max(200),
  }),
  output: sentMailSchema,
  retry: { maxAttempts: 4, backoff: { initialSeconds: 60, factor: 2, maxSeconds: 900, jitter: 0.2 } },
  timeouts: { softSeconds: 60, hardSeconds: 120 },
  async run(input, ctx) {
    return sendMailOnce(ctx, "email.send_welcome_email", input.email, renderWelcome({ name: input.name }));
  },
});
