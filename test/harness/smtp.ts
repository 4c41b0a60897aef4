// A real SMTP server for tests (smtp-server on 127.0.0.1): it collects every accepted mail parsed
// by mailparser, and can be told to answer the next mails with a reply code (421, 550, ...) or to
// hold its reply (a server that hangs, for abort and timeout tests).
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { freePort } from "./processes.ts";

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  parsed: ParsedMail;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** Mails accepted (250) so far. */
  readonly mails: ReceivedMail[];
  /** Answers the next `times` mails with `code` at the end of DATA (the mail is not kept). */
  failNext(code: number, times?: number): void;
  /** Holds the reply to every mail until `stop()`: the client waits, as with a hung server. */
  stall(): void;
  /** How many mails were answered with an injected failure so far. */
  readonly rejected: number;
  waitForMails(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

type SmtpError = Error & { responseCode?: number };

/** `port`: listen there (the demo's mail catcher keeps its port across restarts); default a free one. */
export async function startSmtpSink(options: { port?: number } = {}): Promise<SmtpSink> {
  const port = options.port ?? (await freePort());
  const mails: ReceivedMail[] = [];
  const failures: number[] = [];
  const held: ((error?: Error) => void)[] = [];
  let stalled = false;
  let rejected = 0;
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", async () => {
        if (stalled) {
          held.push(callback);
          return;
        }
        const code = failures.shift();
        if (code !== undefined) {
          rejected++;
          const error: SmtpError = new Error(
            code >= 500 ? "mailbox unavailable" : "service not available, try again later",
          );
          error.responseCode = code;
          callback(error);
          return;
        }
        try {
          const parsed = await simpleParser(Buffer.concat(chunks));
          mails.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            parsed,
          });
          callback();
          for (const wake of waiters) wake();
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });

  return {
    host: "127.0.0.1",
    port,
    mails,
    get rejected() {
      return rejected;
    },
    failNext(code, times = 1) {
      for (let i = 0; i < times; i++) failures.push(code);
    },
    stall() {
      stalled = true;
    },
    waitForMails(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (mails.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(mails.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} mails within ${timeoutMs} ms, got ${mails.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      for (const release of held.splice(0)) {
        const error: SmtpError = new Error("server shutting down");
        error.responseCode = 421;
        release(error);
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
