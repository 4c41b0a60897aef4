// Artifact keys: one validation rule shared by every store, so a key that is safe on S3 is also
// safe as a path under the local directory (no traversal, no absolute paths, no control chars).

export class InvalidArtifactKeyError extends Error {
  override readonly name = "InvalidArtifactKeyError";
}

const MAX_KEY_LENGTH = 1024;

/** Throws InvalidArtifactKeyError naming the problem; returns the key unchanged when valid. */
export function validateArtifactKey(key: string, what = "artifact key"): string {
  const fail = (why: string) => {
    throw new InvalidArtifactKeyError(`${what} ${JSON.stringify(key)} is invalid: ${why}`);
  };
  if (typeof key !== "string" || key.length === 0) fail("it is empty");
  if (key.length > MAX_KEY_LENGTH) fail(`it is longer than ${MAX_KEY_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key)) fail("it contains a control character or a backslash");
  if (key.startsWith("/")) fail("it starts with '/'");
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..")
      fail("it has an empty, '.' or '..' path segment");
    if (segment.includes(".tmp-")) fail("'.tmp-' is reserved for the local store's temporary files");
  }
  return key;
}

/** A prefix for list(): empty, or a valid key optionally ending in '/'. */
export function validateArtifactPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  validateArtifactKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix, "artifact prefix");
  return prefix;
}
