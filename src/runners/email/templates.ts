// The mail templates: each renders a subject, a text part and an HTML part (user data escaped)
// from already-validated values. Pure, so they are tested without a server.
import { escapeHtml, formatMoney, type OrderTotals } from "./format.ts";

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

export function renderWelcome(values: { name: string }): RenderedMail {
  const subject = `Welcome to SynthetIQ Signals, ${values.name}`;
  const text = [
    `Hi ${values.name},`,
    "",
    "Welcome to SynthetIQ Signals. Your account is ready.",
    "",
    "The SynthetIQ team",
  ].join("\n");
  const html = page(
    subject,
    `<p>Hi ${escapeHtml(values.name)},</p><p>Welcome to SynthetIQ Signals. Your account is ready.</p><p>The SynthetIQ team</p>`,
  );
  return { subject, text, html };
}

export interface OrderMailValues {
  orderId: string;
  customerName: string;
  currency: string;
  locale: string;
  items: { name: string; quantity: number; unitPriceMinor: number }[];
  totals: OrderTotals;
}

export function renderOrderConfirmation(values: OrderMailValues): RenderedMail {
  const money = (minor: number) => formatMoney(minor, values.currency, values.locale);
  const { totals } = values;
  const subject = `Your order ${values.orderId} is confirmed`;
  const lines = values.items.map(
    (item, i) =>
      `${item.quantity} x ${item.name} @ ${money(item.unitPriceMinor)} = ${money(totals.lineTotalsMinor[i] ?? 0)}`,
  );
  const sums: [string, number][] = [
    ["Subtotal", totals.subtotalMinor],
    ["Shipping", totals.shippingMinor],
    ["Tax", totals.taxMinor],
    ["Total", totals.totalMinor],
  ];
  const text = [
    `Hi ${values.customerName},`,
    "",
    `Thank you for your order ${values.orderId}.`,
    "",
    ...lines,
    "",
    ...sums.map(([label, minor]) => `${label}: ${money(minor)}`),
    "",
    "The SynthetIQ team",
  ].join("\n");
  const rows = values.items
    .map(
      (item, i) =>
        `<tr><td>${escapeHtml(item.name)}</td><td>${item.quantity}</td><td>${escapeHtml(money(item.unitPriceMinor))}</td>` +
        `<td>${escapeHtml(money(totals.lineTotalsMinor[i] ?? 0))}</td></tr>`,
    )
    .join("");
  const footer = sums
    .map(([label, minor]) => `<tr><th colspan="3">${label}</th><td>${escapeHtml(money(minor))}</td></tr>`)
    .join("");
  const html = page(
    subject,
    `<p>Hi ${escapeHtml(values.customerName)},</p><p>Thank you for your order ${escapeHtml(values.orderId)}.</p>` +
      `<table><thead><tr><th>Item</th><th>Quantity</th><th>Unit price</th><th>Amount</th></tr></thead>` +
      `<tbody>${rows}</tbody><tfoot>${footer}</tfoot></table><p>The SynthetIQ team</p>`,
  );
  return { subject, text, html };
}

export function renderLicense(values: { product: string; licenseKey: string; name?: string }): RenderedMail {
  const subject = `Your ${values.product} license key`;
  const greeting = values.name ? `Hi ${values.name},` : "Hello,";
  const text = [
    greeting,
    "",
    `Here is your license key for ${values.product}:`,
    "",
    `    ${values.licenseKey}`,
    "",
    "Keep it safe: anyone with this key can activate the product.",
    "",
    "The SynthetIQ team",
  ].join("\n");
  const html = page(
    subject,
    `<p>${escapeHtml(greeting)}</p><p>Here is your license key for ${escapeHtml(values.product)}:</p>` +
      `<p><code>${escapeHtml(values.licenseKey)}</code></p>` +
      "<p>Keep it safe: anyone with this key can activate the product.</p><p>The SynthetIQ team</p>",
  );
  return { subject, text, html };
}
