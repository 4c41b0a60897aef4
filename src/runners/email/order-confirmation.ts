// email.send_order_confirmation(order): the order's lines, quantities and totals, with amounts
// formatted for the customer's locale and currency.
import { z } from "zod";
import { defineTask } from "../sdk/task.ts";
import { orderTotals, toMinorUnits } from "./format.ts";
import { sentMailSchema } from "./output.ts";
import { sendMailOnce } from "./smtp.ts";
import { renderOrderConfirmation } from "./templates.ts";

const amount = z.number().finite().nonnegative();

const orderSchema = z
  .object({
    id: z.union([z.string().min(1), z.number().int()]).transform(String),
    email: z.email(),
    customerName: z.string().trim().min(1).max(200),
    /** ISO 4217, e.g. "EUR". */
    currency: z
      .string()
      .transform((c) => c.toUpperCase())
      .refine((c) => Intl.supportedValuesOf("currency").includes(c), {
        message: "not an ISO 4217 currency code",
      }),
    /** BCP 47, e.g. "de-DE": how amounts and separators are written. */
    locale: z
      .string()
      .default("en-US")
      .refine(
        (l) => {
          try {
            return Intl.NumberFormat.supportedLocalesOf([l]).length > 0;
          } catch {
            return false;
          }
        },
        { message: "not a supported locale" },
      ),
    items: z
      .array(
        z.object({
          name: z.string().trim().min(1).max(500),
          quantity: z.number().int().positive(),
          /** Major units: 19.99 */
          unitPrice: amount,
        }),
      )
      .min(1),
    shipping: amount.default(0),
    tax: amount.default(0),
  })
  .superRefine((order, ctx) => {
    const check = (value: number, path: (string | number)[]) => {
      if (toMinorUnits(value, order.currency) === null) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `${value} has more decimals than ${order.currency} allows`,
        });
      }
    };
    for (const [i, item] of order.items.entries()) check(item.unitPrice, ["items", i, "unitPrice"]);
    check(order.shipping, ["shipping"]);
    check(order.tax, ["tax"]);
  });

export const sendOrderConfirmation = defineTask({
  name: "email.send_order_confirmation",
  queue: "emails",
  description:
    "Sends the order confirmation with lines, quantities and totals in the customer's currency and locale.",
  input: z.object({ order: orderSchema }),
  output: sentMailSchema.extend({ totalMinor: z.number().int(), currency: z.string() }),
  retry: { maxAttempts: 4, backoff: { initialSeconds: 60, factor: 2, maxSeconds: 900, jitter: 0.2 } },
  timeouts: { softSeconds: 60, hardSeconds: 120 },
  async run({ order }, ctx) {
    const minor = (value: number) => toMinorUnits(value, order.currency) ?? 0;
    const items = order.items.map((item) => ({ ...item, unitPriceMinor: minor(item.unitPrice) }));
    const totals = orderTotals(items, minor(order.shipping), minor(order.tax));
    const mail = renderOrderConfirmation({
      orderId: order.id,
      customerName: order.customerName,
      currency: order.currency,
      locale: order.locale,
      items,
      totals,
    });
    const sent = await sendMailOnce(ctx, "email.send_order_confirmation", order.email, mail);
    return { ...sent, totalMinor: totals.totalMinor, currency: order.currency };
  },
});
