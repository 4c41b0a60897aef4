// email.send_license_email(email, licenseKey, product): delivers a license key. The key is a
// sensitive field: it is redacted from logs, and the result holds only a masked key.
import { z } from "zod";
import { defineTask } from "../sdk/task.ts";
import { maskLicenseKey } from "./format.ts";
import { sentMailSchema } from "./output.ts";
import { sendMailOnce } from "./smtp.ts";
import { renderLicense } from "./templates.ts";

export const sendLicenseEmail = defineTask({
  name: "email.send_license_email",
  queue: "emails",
  description: "Sends a product license key; the key is never logged and the result holds a masked key.",
  input: z.object({
    email: z.email(),
    licenseKey: z.string().trim().min(8).max(512),
    product: z.string().trim().min(1).max(200),
    name: z.string().trim().min(1).max(200).optional(),
  }),
  output: sentMailSchema.extend({ maskedKey: z.string(), product: z.string() }),
  sensitiveFields: ["licenseKey"],
  retry: { maxAttempts: 4, backoff: { initialSeconds: 60, factor: 2, maxSeconds: 900, jitter: 0.2 } },
  timeouts: { softSeconds: 60, hardSeconds: 120 },
  async run(input, ctx) {
    const mail = renderLicense({
      product: input.product,
      licenseKey: input.licenseKey,
      ...(input.name ? { name: input.name } : {}),
    });
    const sent = await sendMailOnce(ctx, "email.send_license_email", input.email, mail);
    return { ...sent, maskedKey: maskLicenseKey(input.licenseKey), product: input.product };
  },
});
