// Sending one mail exactly once per TaskRun: a deterministic Message-ID, a sent marker in Redis
// checked before sending and written after the server's 250, and SMTP failures classified
// (4xx and connection problems retryable, 5xx permanent). nodemailer is loaded on first send.
import { createHash } from "node:crypto";
import type { RunnerConfig } from "../config.ts";
import { PermanentError, RetryableError, type TaskContext } from "../sdk/task.ts";
import { senderDomain } from "./format.ts";
import type { RenderedMail } from "./templates.ts";

/** Markers outlive any retry window of a TaskRun. */
const SENT_MARKER_TTL_SECONDS = 7 * 86_400;

export interface SentMail {
  messageId: string;
  accepted: string[];
  /** true when an earlier attempt had already delivered this mail: nothing was sent now. */
  alreadySent: boolean;
}

interface SmtpFailure {
  message: string;
  code?: string;
  responseCode?: number;
  response?: string;
}

const CONNECTION_CODES = new Set([
  "ECONNECTION",
  "ETIMEDOUT",
  "ESOCKET",
  "EDNS",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETLS",
  "EPROXY",
]);

/** 5xx (but 503, a session-state reply) is permanent; 4xx, 503 and connection failures are retryable. */
export function classifySmtpError(error: SmtpFailure): PermanentError | RetryableError {
  const reply = error.response ?? error.message;
  const code = error.responseCode;
  if (code !== undefined && code >= 500 && code !== 503) {
    return new PermanentError(`the SMTP server rejected the mail with ${code}: ${reply}`, {
      type: "SmtpRejected",
      cause: error,
    });
  }
  if (code !== undefined && code >= 400) {
    return new RetryableError(`the SMTP server deferred the mail with ${code}: ${reply}`, {
      type: "SmtpTemporaryFailure",
      cause: error,
    });
  }
  if (error.code && CONNECTION_CODES.has(error.code)) {
    return new RetryableError(`could not talk to the SMTP server (${error.code}): ${error.message}`, {
      type: "SmtpConnectionError",
      cause: error,
    });
  }
  if (error.code === "ECONFIG" || error.code === "EAUTH" || error.code === "ENOAUTH") {
    return new PermanentError(`SMTP configuration problem (${error.code}): ${error.message}`, {
      type: "SmtpConfigError",
      cause: error,
    });
  }
  return new RetryableError(`sending the mail failed: ${error.message}`, { type: "SmtpError", cause: error });
}

/** The same for every attempt of one TaskRun, so receivers can also drop duplicates. */
export function messageIdFor(task: string, idempotencyKey: string, from: string): string {
  const digest = createHash("sha256").update(`${task}\n${idempotencyKey}`).digest("hex").slice(0, 32);
  return `<${digest}@${senderDomain(from)}>`;
}

export function sentMarkerKey(task: string, idempotencyKey: string): string {
  return `synthetiq:email:sent:${task}:${idempotencyKey}`;
}

function smtpSettings(config: RunnerConfig) {
  const { host, from } = config.smtp;
  const missing = [!host && "SMTP_HOST", !from && "MAIL_FROM"].filter(Boolean);
  if (!host || !from) {
    throw new PermanentError(`email tasks need ${missing.join(" and ")} in the runner configuration`, {
      type: "ConfigError",
    });
  }
  return { ...config.smtp, host, from };
}

export async function sendMailOnce(
  ctx: TaskContext,
  task: string,
  to: string,
  mail: RenderedMail,
): Promise<SentMail> {
  const settings = smtpSettings(ctx.services.config());
  const markerKey = sentMarkerKey(task, ctx.idempotencyKey);
  const redis = ctx.services.redis();
  const marker = await redis.get(markerKey);
  if (marker !== null) {
    const previous = JSON.parse(marker) as { messageId: string; accepted: string[] };
    ctx.log.info("mail already sent by an earlier attempt; not sending again", {
      messageId: previous.messageId,
    });
    return { ...previous, alreadySent: true };
  }

  const messageId = messageIdFor(task, ctx.idempotencyKey, settings.from);
  const { createTransport } = await import("nodemailer");
  const transport = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? "" } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(ctx.signal.reason);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {});
  let info: { accepted: (string | { address: string })[]; response: string };
  try {
    info = await Promise.race([
      transport.sendMail({
        from: settings.from,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId,
      }),
      aborted,
    ]);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw classifySmtpError(error as SmtpFailure);
  } finally {
    transport.close();
  }

  const accepted = info.accepted.map((a) => (typeof a === "string" ? a : a.address));
  const sent = { messageId, accepted };
  try {
    await redis.set(
      markerKey,
      JSON.stringify({ ...sent, sentAt: new Date().toISOString() }),
      "EX",
      SENT_MARKER_TTL_SECONDS,
    );
  } catch (error) {
    // The mail is delivered: failing now would send it again on the retry. The Message-ID still
    // lets the receiving side drop a duplicate if the result write fails too.
    ctx.log.warn("mail sent but the sent marker could not be written", { messageId, error });
  }
  ctx.log.info("mail sent", { messageId, accepted: accepted.length, response: info.response });
  return { ...sent, alreadySent: false };
}
