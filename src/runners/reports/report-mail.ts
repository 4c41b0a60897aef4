// Mailing a finished report: one message with expiring links to its files, sent once per TaskRun
// through the email tasks' SMTP transport.
import { sendMailOnce } from "../email/smtp.ts";
import type { TaskContext } from "../sdk/task.ts";

interface LinkedFile {
  key: string;
  link: string;
  bytes: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function mailReport(
  ctx: TaskContext,
  kind: string,
  title: string,
  files: Record<string, LinkedFile>,
  expirySeconds: number,
  recipients: string[],
): Promise<string[]> {
  const hours = Math.round(expirySeconds / 3600);
  const entries = Object.entries(files);
  const text = [
    title,
    "",
    ...entries.map(([name, f]) => `${name.toUpperCase()} (${f.bytes} bytes): ${f.link}`),
    "",
    `The links expire in ${hours} hours.`,
  ].join("\n");
  const html = `<!doctype html><html><body><h1>${escapeHtml(title)}</h1><ul>${entries
    .map(
      ([name, f]) => `<li><a href="${escapeHtml(f.link)}">${name.toUpperCase()}</a> (${f.bytes} bytes)</li>`,
    )
    .join("")}</ul><p>The links expire in ${hours} hours.</p></body></html>`;
  const sent = await sendMailOnce(ctx, `reports.${kind}`, recipients.join(", "), {
    subject: title,
    text,
    html,
  });
  return sent.accepted;
}
