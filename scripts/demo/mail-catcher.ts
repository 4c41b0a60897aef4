// The demo's mail catcher, run detached: `node scripts/demo/mail-catcher.ts SMTP_PORT WEB_PORT MAIL_DIR`.
// The test suite's real SMTP server (test/harness/smtp.ts) on 127.0.0.1, every mail it accepts
// saved as JSON in MAIL_DIR, and a web page on 127.0.0.1 listing them (newest first).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { type ReceivedMail, startSmtpSink } from "../../test/harness/smtp.ts";

interface StoredMail {
  id: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

const [smtpPort, webPort, mailDir] = [
  Number(process.argv[2]),
  Number(process.argv[3]),
  process.argv[4] ?? "",
];
if (!smtpPort || !webPort || !mailDir) {
  process.stderr.write("usage: node scripts/demo/mail-catcher.ts SMTP_PORT WEB_PORT MAIL_DIR\n");
  process.exit(2);
}
mkdirSync(mailDir, { recursive: true });

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function stored(): StoredMail[] {
  return readdirSync(mailDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .reverse()
    .map((f) => JSON.parse(readFileSync(join(mailDir, f), "utf8")) as StoredMail);
}

function save(mail: ReceivedMail) {
  const receivedAt = new Date().toISOString();
  const id = `${receivedAt.replace(/[-:.]/g, "")}-${Math.random().toString(36).slice(2, 6)}`;
  const record: StoredMail = {
    id,
    receivedAt,
    from: mail.envelope.from,
    to: mail.envelope.to,
    subject: mail.parsed.subject ?? "",
    text: mail.parsed.text ?? "",
    html: typeof mail.parsed.html === "string" ? mail.parsed.html : "",
  };
  writeFileSync(join(mailDir, `${id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify({ time: receivedAt, msg: "mail received", id, to: record.to })}\n`);
}

const sink = await startSmtpSink({ port: smtpPort });
let saved = 0;
setInterval(() => {
  while (saved < sink.mails.length) save(sink.mails[saved++]!);
}, 200);

const page = (mails: StoredMail[]) => `<!doctype html><meta charset="utf-8"><title>Demo mail catcher</title>
<meta http-equiv="refresh" content="5">
<style>body{font:14px system-ui;margin:2em}td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}</style>
<h1>Mails received on 127.0.0.1:${smtpPort}</h1><p>${mails.length} mail(s); this page refreshes every 5 s.</p>
<table><tr><th>received</th><th>from</th><th>to</th><th>subject</th></tr>
${mails
  .map(
    (m) =>
      `<tr><td>${escapeHtml(m.receivedAt)}</td><td>${escapeHtml(m.from)}</td><td>${escapeHtml(m.to.join(", "))}</td><td><a href="/mails/${escapeHtml(m.id)}">${escapeHtml(m.subject || "(no subject)")}</a></td></tr>`,
  )
  .join("\n")}</table>`;

const web = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const mails = stored();
  if (url.pathname === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page(mails));
  } else if (url.pathname === "/api/mails") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(mails));
  } else if (url.pathname.startsWith("/mails/")) {
    const mail = mails.find((m) => m.id === url.pathname.slice("/mails/".length));
    if (!mail) res.writeHead(404).end("no such mail");
    else if (mail.html) res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(mail.html);
    else res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(mail.text);
  } else {
    res.writeHead(404).end("not found");
  }
});
web.listen(webPort, "127.0.0.1", () =>
  process.stdout.write(`${JSON.stringify({ msg: "mail catcher ready", smtpPort, webPort })}\n`),
);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    web.close();
    void sink.stop().then(() => process.exit(0));
  });
}
