// Keeping secrets out of logs and results: values under sensitive keys, the actual values of a
// task's sensitive input fields wherever they appear, and strings that look like credentials.
const REDACTED = "[REDACTED]";

/** Keys whose values are never shown, whatever the task declares. */
const SECRET_KEY =
  /pass(word|wd|phrase)?$|secret|token|api[-_]?key|authorization|credential|private[-_]?key|license[-_]?key|cookie/i;

/** Strings that look like credentials, with what to keep of them. */
const SECRET_TEXT: [RegExp, string][] = [
  // user:password@ in URLs (redis://:pw@host, postgres://user:pw@host)
  [/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]+@/gi, `$1:${REDACTED}@`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  // JSON Web Tokens
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
];

/**
 * Signatures and tokens in URL query strings (pre-signed S3/GCS/Azure URLs, ?token=, ?api_key=):
 * masked in logs and error messages. A task's output keeps them: a pre-signed link to the files it
 * made is what a report task hands out.
 */
const URL_QUERY_SECRET: [RegExp, string] = [
  /([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|signature|sig|token|access_token|api_key|apikey|key)=)[^&#\s"']+/gi,
  `$1${REDACTED}`,
];

export interface Redactor {
  /** A deep copy of `value` with secrets replaced by "[REDACTED]" (logs, errors). */
  value(value: unknown): unknown;
  /** The same for a task's output, whose pre-signed links keep their signatures (see URL_QUERY_SECRET). */
  output(value: unknown): unknown;
  text(text: string): string;
}

/** The values of `fields` (matched by key name at any depth) in `input`: these are scrubbed everywhere. */
export function secretValuesOf(input: unknown, fields: readonly string[]): string[] {
  const wanted = new Set(fields.map((f) => f.toLowerCase()));
  const found: string[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (wanted.has(key.toLowerCase()) && (typeof value === "string" || typeof value === "number")) {
          const text = String(value);
          if (text.length >= 4) found.push(text);
        } else visit(value);
      }
    }
  };
  visit(input);
  return found;
}

export function createRedactor(
  options: { sensitiveFields?: readonly string[]; secrets?: readonly string[] } = {},
): Redactor {
  const sensitive = new Set((options.sensitiveFields ?? []).map((f) => f.toLowerCase()));
  // Longest first, so that a secret containing another is replaced whole.
  const secrets = [...new Set(options.secrets ?? [])].sort((a, b) => b.length - a.length);
  const isSecretKey = (key: string) => sensitive.has(key.toLowerCase()) || SECRET_KEY.test(key);

  const text = (input: string, keepSignedUrls = false): string => {
    let out = input;
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
    if (!keepSignedUrls) out = out.replace(...URL_QUERY_SECRET);
    return out;
  };

  const value = (node: unknown, keepSignedUrls: boolean, seen = new WeakSet<object>()): unknown => {
    if (typeof node === "string") return text(node, keepSignedUrls);
    if (node instanceof Error) return { type: errorType(node), message: text(node.message) };
    if (!node || typeof node !== "object") return node;
    if (seen.has(node)) return "[Circular]";
    seen.add(node);
    if (Array.isArray(node)) return node.map((item) => value(item, keepSignedUrls, seen));
    return Object.fromEntries(
      Object.entries(node).map(([key, item]) => [
        key,
        isSecretKey(key) && item != null ? REDACTED : value(item, keepSignedUrls, seen),
      ]),
    );
  };

  return {
    value: (node) => value(node, false),
    output: (node) => value(node, true),
    text: (input) => text(input),
  };
}

function errorType(error: Error): string {
  const type = (error as { type?: unknown }).type;
  return typeof type === "string" ? type : error.name;
}
