// A streaming tar reader (ustar, pax `path`/`linkpath`, GNU long names): yields each member's
// header and hands its content to a sink the caller chooses (or skips it). Memory: one header.

export interface TarMember {
  path: string;
  /** "file", "directory", "symlink", "hardlink" or "other" (devices, fifos, ...). */
  type: "file" | "directory" | "symlink" | "hardlink" | "other";
  size: number;
  linkTarget: string;
  /** Offset of the member's header in the tar stream. */
  offset: number;
}

export interface TarSink {
  write(chunk: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.toString("utf8", 0, nul < 0 ? raw.length : nul);
}

function octal(header: Buffer, start: number, length: number): number {
  if ((header[start] as number) & 0x80) {
    // GNU base-256 for big sizes.
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (header[i] as number);
    return value;
  }
  const text = field(header, start, length).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function parsePax(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number.parseInt(body.toString("utf8", at, space), 10);
    if (!(length > 0)) break;
    const record = body.toString("utf8", space + 1, at + length - 1);
    const eq = record.indexOf("=");
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

export class TarFormatError extends Error {
  override readonly name = "TarFormatError";
}

/**
 * Reads a tar stream. `onMember` returns a sink for the content or null to skip it.
 * Throws TarFormatError on a malformed header.
 */
export async function readTar(
  chunks: AsyncIterable<Buffer>,
  onMember: (member: TarMember) => Promise<TarSink | null> | TarSink | null,
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let position = 0;
  let state:
    | { kind: "header" }
    | { kind: "body"; remaining: number; padding: number; sink: TarSink | null; collect?: Buffer[] } = {
    kind: "header",
  };
  let nextPax: Record<string, string> = {};
  let nextLongName: string | undefined;
  let nextLongLink: string | undefined;
  let ended = false;
  let metaKind: "pax" | "longname" | "longlink" | null = null;

  const finishBody = async () => {
    if (state.kind !== "body") return;
    if (state.collect) {
      const body = Buffer.concat(state.collect);
      if (metaKind === "pax") nextPax = { ...nextPax, ...parsePax(body) };
      if (metaKind === "longname") nextLongName = field(body, 0, body.length);
      if (metaKind === "longlink") nextLongLink = field(body, 0, body.length);
    }
    await state.sink?.end();
    metaKind = null;
  };

  for await (const chunk of chunks) {
    if (ended) continue;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (!ended) {
      if (state.kind === "header") {
        if (pending.length - at < BLOCK) break;
        const header = pending.subarray(at, at + BLOCK);
        const offset = position + at;
        at += BLOCK;
        if (header.every((b) => b === 0)) {
          ended = true;
          break;
        }
        let sum = 0;
        for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
        if (sum !== octal(header, 148, 8)) throw new TarFormatError(`bad header checksum at byte ${offset}`);
        const size = octal(header, 124, 12);
        const flag = String.fromCharCode(header[156] as number);
        const padding = (BLOCK - (size % BLOCK)) % BLOCK;
        if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
          if (size > 1_048_576)
            throw new TarFormatError(`metadata record of ${size} bytes at byte ${offset}`);
          metaKind = flag === "L" ? "longname" : flag === "K" ? "longlink" : flag === "x" ? "pax" : null;
          state = { kind: "body", remaining: size, padding, sink: null, collect: [] };
          continue;
        }
        const prefix = header.subarray(257, 263).toString("latin1").startsWith("ustar")
          ? field(header, 345, 155)
          : "";
        const name = field(header, 0, 100);
        const member: TarMember = {
          path: nextPax.path ?? nextLongName ?? (prefix ? `${prefix}/${name}` : name),
          type:
            flag === "0" || flag === "\0" || flag === "7"
              ? "file"
              : flag === "5"
                ? "directory"
                : flag === "2"
                  ? "symlink"
                  : flag === "1"
                    ? "hardlink"
                    : "other",
          size,
          linkTarget: nextPax.linkpath ?? nextLongLink ?? field(header, 157, 100),
          offset,
        };
        nextPax = {};
        nextLongName = undefined;
        nextLongLink = undefined;
        const chosen = await onMember(member);
        const sink = member.type === "file" ? chosen : null;
        state = { kind: "body", remaining: size, padding, sink };
      } else {
        if (state.remaining > 0) {
          const take = Math.min(state.remaining, pending.length - at);
          if (take === 0) break;
          const piece = pending.subarray(at, at + take);
          if (state.collect) state.collect.push(Buffer.from(piece));
          else await state.sink?.write(piece);
          state.remaining -= take;
          at += take;
          if (state.remaining > 0) break;
        }
        if (pending.length - at < state.padding) break;
        at += state.padding;
        await finishBody();
        state = { kind: "header" };
      }
    }
    position += at;
    pending = pending.subarray(at);
  }
  if (!ended && (state.kind === "body" || pending.length > 0)) {
    throw new TarFormatError(`the tar stream ends inside a member at byte ${position}`);
  }
}
