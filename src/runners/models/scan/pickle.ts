// A streaming pickle opcode parser that never unpickles: it simulates just enough of the unpickler's
// stack and memo to resolve which globals a stream imports (GLOBAL, INST, STACK_GLOBAL through
// memo/stack strings) and which of them are called (REDUCE, OBJ, INST, NEWOBJ, NEWOBJ_EX, BUILD).
// Feed it chunks with write(); end() returns what it saw. Pure (no I/O); memory is bounded: large
// string/bytes arguments are skipped, not buffered.

export interface PickleGlobal {
  module: string;
  name: string;
  /** Byte offset of the opcode that imported it. */
  offset: number;
  opcode: "GLOBAL" | "INST" | "STACK_GLOBAL";
}

export interface PickleScanResult {
  globals: PickleGlobal[];
  /** STACK_GLOBAL whose operands were not both known strings. */
  unresolved: { offset: number; reason: string }[];
  /** EXT1/EXT2/EXT4 uses (imports through copyreg's extension registry). */
  extensions: { offset: number; code: number }[];
  /** Globals that were called or instantiated, as "module.name". */
  called: string[];
  /** Set when the stream is malformed or truncated (parsing stops there). */
  error?: { offset: number; message: string };
  pickles: number;
  protocol: number;
  /** Bytes after the last pickle that are not another pickle (e.g. legacy torch storage data). */
  trailingBytes: number;
}

/**
 * What the simulated stack holds: a string (kept as a plain JS string, cheap for the memo of a
 * large pickle), a global, a MARK, or anything else.
 */
type GlobalValue = { module: string; name: string };
const OTHER = Object.freeze({ other: true });
const MARK = Object.freeze({ mark: true });
type Value = string | GlobalValue | typeof OTHER | typeof MARK;

const isGlobal = (v: Value): v is GlobalValue => typeof v === "object" && "module" in v;
const kindOf = (v: Value) =>
  typeof v === "string" ? "str" : isGlobal(v) ? "global" : v === MARK ? "mark" : "other";
/** Strings longer than this are not kept (module/qualified names are far shorter). */
const MAX_KEPT_STRING = 64 * 1024;
const MAX_LINE = 64 * 1024;

type ArgKind =
  | { kind: "none" }
  | { kind: "line"; lines: 1 | 2 }
  | { kind: "fixed"; bytes: number }
  | { kind: "counted"; lengthBytes: 1 | 4 | 8; signed?: boolean };

const NONE = { kind: "none" } as const;
const LINE = { kind: "line", lines: 1 } as const;
const fixed = (bytes: number) => ({ kind: "fixed", bytes }) as const;
const counted = (lengthBytes: 1 | 4 | 8, signed = false) =>
  ({ kind: "counted", lengthBytes, signed }) as const;

/** name, argument shape. Stack effects are in #apply. */
const OPCODES = new Map<number, [string, ArgKind]>([
  [0x28, ["MARK", NONE]],
  [0x2e, ["STOP", NONE]],
  [0x30, ["POP", NONE]],
  [0x31, ["POP_MARK", NONE]],
  [0x32, ["DUP", NONE]],
  [0x46, ["FLOAT", LINE]],
  [0x49, ["INT", LINE]],
  [0x4a, ["BININT", fixed(4)]],
  [0x4b, ["BININT1", fixed(1)]],
  [0x4c, ["LONG", LINE]],
  [0x4d, ["BININT2", fixed(2)]],
  [0x4e, ["NONE", NONE]],
  [0x50, ["PERSID", LINE]],
  [0x51, ["BINPERSID", NONE]],
  [0x52, ["REDUCE", NONE]],
  [0x53, ["STRING", LINE]],
  [0x54, ["BINSTRING", counted(4, true)]],
  [0x55, ["SHORT_BINSTRING", counted(1)]],
  [0x56, ["UNICODE", LINE]],
  [0x58, ["BINUNICODE", counted(4)]],
  [0x61, ["APPEND", NONE]],
  [0x62, ["BUILD", NONE]],
  [0x63, ["GLOBAL", { kind: "line", lines: 2 }]],
  [0x64, ["DICT", NONE]],
  [0x7d, ["EMPTY_DICT", NONE]],
  [0x65, ["APPENDS", NONE]],
  [0x67, ["GET", LINE]],
  [0x68, ["BINGET", fixed(1)]],
  [0x69, ["INST", { kind: "line", lines: 2 }]],
  [0x6a, ["LONG_BINGET", fixed(4)]],
  [0x6c, ["LIST", NONE]],
  [0x5d, ["EMPTY_LIST", NONE]],
  [0x6f, ["OBJ", NONE]],
  [0x70, ["PUT", LINE]],
  [0x71, ["BINPUT", fixed(1)]],
  [0x72, ["LONG_BINPUT", fixed(4)]],
  [0x73, ["SETITEM", NONE]],
  [0x74, ["TUPLE", NONE]],
  [0x29, ["EMPTY_TUPLE", NONE]],
  [0x75, ["SETITEMS", NONE]],
  [0x47, ["BINFLOAT", fixed(8)]],
  [0x42, ["BINBYTES", counted(4)]],
  [0x43, ["SHORT_BINBYTES", counted(1)]],
  [0x80, ["PROTO", fixed(1)]],
  [0x81, ["NEWOBJ", NONE]],
  [0x82, ["EXT1", fixed(1)]],
  [0x83, ["EXT2", fixed(2)]],
  [0x84, ["EXT4", fixed(4)]],
  [0x85, ["TUPLE1", NONE]],
  [0x86, ["TUPLE2", NONE]],
  [0x87, ["TUPLE3", NONE]],
  [0x88, ["NEWTRUE", NONE]],
  [0x89, ["NEWFALSE", NONE]],
  [0x8a, ["LONG1", counted(1)]],
  [0x8b, ["LONG4", counted(4, true)]],
  [0x8c, ["SHORT_BINUNICODE", counted(1)]],
  [0x8d, ["BINUNICODE8", counted(8)]],
  [0x8e, ["BINBYTES8", counted(8)]],
  [0x8f, ["EMPTY_SET", NONE]],
  [0x90, ["ADDITEMS", NONE]],
  [0x91, ["FROZENSET", NONE]],
  [0x92, ["NEWOBJ_EX", NONE]],
  [0x93, ["STACK_GLOBAL", NONE]],
  [0x94, ["MEMOIZE", NONE]],
  [0x95, ["FRAME", fixed(8)]],
  [0x96, ["BYTEARRAY8", counted(8)]],
  [0x97, ["NEXT_BUFFER", NONE]],
  [0x98, ["READONLY_BUFFER", NONE]],
]);

/** An opcode's argument: a fixed-size integer, a decoded string, text lines, or nothing kept. */
type Arg = number | string | string[] | undefined;

/** OPCODES as a 256-slot table: the per-opcode lookup is on the hot path. */
const OPCODE_TABLE: ([string, ArgKind] | undefined)[] = Array.from({ length: 256 }, (_, code) =>
  OPCODES.get(code),
);

export function isPickleOpcode(byte: number): boolean {
  return OPCODE_TABLE[byte] !== undefined;
}

const STRING_OPS = new Set([
  "STRING",
  "BINSTRING",
  "SHORT_BINSTRING",
  "UNICODE",
  "BINUNICODE",
  "SHORT_BINUNICODE",
  "BINUNICODE8",
]);
const PUSH_OTHER = new Set([
  "FLOAT",
  "INT",
  "BININT",
  "BININT1",
  "LONG",
  "BININT2",
  "NONE",
  "PERSID",
  "EMPTY_DICT",
  "EMPTY_LIST",
  "EMPTY_TUPLE",
  "BINFLOAT",
  "BINBYTES",
  "SHORT_BINBYTES",
  "NEWTRUE",
  "NEWFALSE",
  "LONG1",
  "LONG4",
  "BINBYTES8",
  "EMPTY_SET",
  "BYTEARRAY8",
  "NEXT_BUFFER",
]);

/** One-line opcodes whose over-long value may be skipped (each just pushes one value). */
const SKIPPABLE_LINE_OPS = new Set(["STRING", "UNICODE", "FLOAT", "INT", "LONG", "PERSID"]);

/** Opcodes that only push a string or an opaque value: handled before the switch. */
const VALUE_KIND = new Map<string, "string" | "other">([
  ...[...STRING_OPS].map((n) => [n, "string"] as const),
  ...[...PUSH_OTHER].map((n) => [n, "other"] as const),
]);

export class PickleScanner {
  #buf: Buffer = Buffer.alloc(0);
  /** Absolute offset of #buf[0]. */
  #base = 0;
  #skip = 0;
  /** Set while skipping the rest of an over-long one-line argument (protocol 0 STRING/UNICODE/LONG). */
  #skipLine = false;
  #stack: Value[] = [];
  /** Dense in practice (PUT/MEMOIZE count up), so an array; Python's len(memo) is #memoCount. */
  #memo: Value[] = [];
  #memoCount = 0;
  #inPickle = false;
  #stopped = false;
  #result: PickleScanResult = {
    globals: [],
    unresolved: [],
    extensions: [],
    called: [],
    pickles: 0,
    protocol: 0,
    trailingBytes: 0,
  };
  #called = new Set<string>();

  write(chunk: Buffer): void {
    if (this.#stopped) {
      this.#result.trailingBytes += chunk.length;
      return;
    }
    let data = chunk;
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, data.length);
      this.#skip -= n;
      this.#base += n;
      data = data.subarray(n);
      if (data.length === 0) return;
    }
    if (this.#skipLine) {
      const nl = data.indexOf(0x0a);
      const n = nl < 0 ? data.length : nl + 1;
      this.#skipLine = nl < 0;
      this.#base += n;
      data = data.subarray(n);
      if (data.length === 0) return;
    }
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    const consumed = this.#parse();
    this.#base += consumed;
    this.#buf = this.#buf.subarray(consumed);
    if (this.#stopped) {
      this.#result.trailingBytes += this.#buf.length;
      this.#buf = Buffer.alloc(0);
    }
  }

  end(): PickleScanResult {
    if (!this.#stopped && (this.#inPickle || this.#skip > 0 || this.#skipLine || this.#buf.length > 0)) {
      this.#fail(this.#base, "the stream ends inside a pickle (truncated: no STOP)");
    }
    if (this.#result.pickles === 0 && !this.#result.error) this.#fail(0, "the stream holds no pickle");
    this.#result.called = [...this.#called];
    return this.#result;
  }

  #fail(offset: number, message: string) {
    this.#result.error ??= { offset, message };
    this.#stopped = true;
  }

  /** Parses whole opcodes from #buf; returns how many bytes were consumed. */
  #parse(): number {
    const buf = this.#buf;
    let pos = 0;
    while (pos < buf.length && !this.#stopped) {
      const code = buf[pos] as number;
      const offset = this.#base + pos;
      if (!this.#inPickle) {
        // Between pickles: only another PROTO-prefixed pickle continues the stream (torch's legacy
        // format is three pickles and then raw storage bytes).
        if (this.#result.pickles > 0 && code !== 0x80) {
          this.#stopped = true;
          return pos;
        }
        this.#inPickle = true;
        this.#stack = [];
        this.#memo = [];
        this.#memoCount = 0;
      }
      const op = OPCODE_TABLE[code];
      if (!op) {
        this.#fail(offset, `unknown opcode 0x${code.toString(16).padStart(2, "0")}`);
        return pos;
      }
      const [name, arg] = op;
      let next = pos + 1;
      let argValue: Arg;
      if (arg.kind === "fixed") {
        if (next + arg.bytes > buf.length) return pos;
        // Little-endian unsigned value (8-byte FRAME/BINFLOAT values are not needed: 0).
        argValue = arg.bytes <= 4 ? buf.readUIntLE(next, arg.bytes) : 0;
        next += arg.bytes;
      } else if (arg.kind === "line") {
        const lines: string[] = [];
        for (let i = 0; i < arg.lines; i++) {
          const nl = buf.indexOf(0x0a, next);
          if (nl < 0) {
            if (buf.length - next <= MAX_LINE) return pos;
            if (!SKIPPABLE_LINE_OPS.has(name)) {
              this.#fail(offset, `${name} argument has no newline within ${MAX_LINE} bytes`);
              return pos;
            }
            // A long one-line value (a big protocol-0 string or integer): skip it without buffering.
            this.#apply(name, undefined, offset);
            this.#skipLine = true;
            return buf.length;
          }
          lines.push(buf.toString("utf8", next, nl));
          next = nl + 1;
        }
        argValue = lines;
      } else if (arg.kind === "counted") {
        if (next + arg.lengthBytes > buf.length) return pos;
        const length = readLength(buf, next, arg.lengthBytes, arg.signed ?? false);
        if (length < 0) {
          this.#fail(offset, `${name} has a negative length`);
          return pos;
        }
        next += arg.lengthBytes;
        if (length > MAX_KEPT_STRING) {
          // Skip the payload without buffering it.
          const available = buf.length - next;
          this.#apply(name, undefined, offset);
          if (available >= length) {
            pos = next + length;
            continue;
          }
          this.#skip = length - available;
          return buf.length;
        }
        if (next + length > buf.length) return pos;
        // Only strings matter; other payloads (bytes, longs) are skipped without a copy.
        argValue =
          VALUE_KIND.get(name) === "string"
            ? buf.toString(name.includes("BINSTRING") ? "latin1" : "utf8", next, next + length)
            : undefined;
        next += length;
      }
      this.#apply(name, argValue, offset);
      pos = next;
    }
    return pos;
  }

  #pop(offset: number): Value {
    const value = this.#stack.pop();
    if (value === undefined) {
      this.#fail(offset, "stack underflow");
      return OTHER;
    }
    return value;
  }

  #popToMark(offset: number): Value[] {
    const at = this.#stack.lastIndexOf(MARK);
    if (at < 0) {
      this.#fail(offset, "no MARK on the stack");
      return [];
    }
    return this.#stack.splice(at).slice(1);
  }

  #call(callable: Value) {
    if (isGlobal(callable)) this.#called.add(`${callable.module}.${callable.name}`);
  }

  #global(module: string, name: string, offset: number, opcode: PickleGlobal["opcode"]): Value {
    this.#result.globals.push({ module, name, offset, opcode });
    return { module, name };
  }

  #apply(name: string, arg: Arg, offset: number) {
    const stack = this.#stack;
    const kind = VALUE_KIND.get(name);
    if (kind === "string") {
      stack.push(arg === undefined ? OTHER : decodeString(name, arg));
      return;
    }
    if (kind === "other") {
      stack.push(OTHER);
      return;
    }
    switch (name) {
      case "PROTO":
        this.#result.protocol = Math.max(this.#result.protocol, arg as number);
        return;
      case "FRAME":
      case "READONLY_BUFFER":
        return;
      case "MARK":
        stack.push(MARK);
        return;
      case "STOP":
        this.#pop(offset);
        this.#result.pickles++;
        this.#inPickle = false;
        return;
      case "POP":
        this.#pop(offset);
        return;
      case "POP_MARK":
        this.#popToMark(offset);
        return;
      case "DUP": {
        const top = stack.at(-1);
        if (top === undefined) this.#fail(offset, "DUP on an empty stack");
        else stack.push(top);
        return;
      }
      case "BINPERSID":
        this.#pop(offset);
        stack.push(OTHER);
        return;
      case "GLOBAL":
      case "INST": {
        const [module = "", qualname = ""] = arg as string[];
        const value = this.#global(module, qualname, offset, name);
        if (name === "INST") {
          this.#popToMark(offset);
          this.#call(value);
          stack.push(OTHER);
        } else {
          stack.push(value);
        }
        return;
      }
      case "STACK_GLOBAL": {
        const qualname = this.#pop(offset);
        const module = this.#pop(offset);
        if (typeof module === "string" && typeof qualname === "string") {
          stack.push(this.#global(module, qualname, offset, "STACK_GLOBAL"));
        } else {
          this.#result.unresolved.push({
            offset,
            reason: `operands are ${kindOf(module)} and ${kindOf(qualname)}, not two strings`,
          });
          stack.push(OTHER);
        }
        return;
      }
      case "EXT1":
      case "EXT2":
      case "EXT4":
        this.#result.extensions.push({ offset, code: arg as number });
        stack.push(OTHER);
        return;
      case "REDUCE":
      case "NEWOBJ": {
        this.#pop(offset);
        this.#call(this.#pop(offset));
        stack.push(OTHER);
        return;
      }
      case "NEWOBJ_EX": {
        this.#pop(offset);
        this.#pop(offset);
        this.#call(this.#pop(offset));
        stack.push(OTHER);
        return;
      }
      case "OBJ": {
        const items = this.#popToMark(offset);
        if (items[0]) this.#call(items[0]);
        stack.push(OTHER);
        return;
      }
      case "BUILD": {
        this.#pop(offset);
        const target = stack.at(-1);
        if (target) this.#call(target);
        return;
      }
      case "TUPLE":
      case "LIST":
      case "DICT":
      case "FROZENSET":
        this.#popToMark(offset);
        stack.push(OTHER);
        return;
      case "TUPLE1":
      case "TUPLE2":
      case "TUPLE3":
        for (let i = 0; i < Number(name.at(-1)); i++) this.#pop(offset);
        stack.push(OTHER);
        return;
      case "APPEND":
        this.#pop(offset);
        return;
      case "SETITEM":
        this.#pop(offset);
        this.#pop(offset);
        return;
      case "APPENDS":
      case "SETITEMS":
      case "ADDITEMS":
        this.#popToMark(offset);
        return;
      case "PUT":
      case "BINPUT":
      case "LONG_BINPUT":
      case "MEMOIZE": {
        const top = stack.at(-1);
        if (top === undefined || top === MARK) {
          this.#fail(offset, `${name} with nothing to memoize`);
          return;
        }
        const index = name === "MEMOIZE" ? this.#memoCount : memoIndex(name, arg);
        if (this.#memo[index] === undefined) this.#memoCount++;
        this.#memo[index] = top;
        return;
      }
      case "GET":
      case "BINGET":
      case "LONG_BINGET": {
        const index = memoIndex(name, arg);
        const value = this.#memo[index];
        if (value === undefined) {
          this.#fail(offset, `${name} ${index} reads a memo slot that was never set`);
          return;
        }
        stack.push(value);
        return;
      }
      default:
        this.#fail(offset, `opcode ${name} is not handled`);
    }
  }
}

function readLength(buf: Buffer, at: number, bytes: 1 | 4 | 8, signed: boolean): number {
  if (bytes === 1) return buf[at] as number;
  if (bytes === 4) return signed ? buf.readInt32LE(at) : buf.readUInt32LE(at);
  const big = buf.readBigUInt64LE(at);
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
}

function memoIndex(name: string, arg: Arg): number {
  if (name === "PUT" || name === "GET") return Number.parseInt((arg as string[])[0] ?? "", 10);
  return arg as number;
}

function decodeString(name: string, arg: Arg): string {
  if (name === "STRING") return unquotePythonRepr((arg as string[])[0] ?? "");
  if (name === "UNICODE") return decodeRawUnicodeEscape((arg as string[])[0] ?? "");
  return arg as string;
}

/** STRING's argument is a Python repr: 'os' or "os", with backslash escapes. */
function unquotePythonRepr(text: string): string {
  const quote = text[0];
  const body = (quote === "'" || quote === '"') && text.endsWith(quote) ? text.slice(1, -1) : text;
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === "x") return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ({ n: "\n", r: "\r", t: "\t" } as Record<string, string>)[e] ?? e;
  });
}

function decodeRawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4?: string, u8?: string) =>
    String.fromCodePoint(Number.parseInt(u4 ?? u8 ?? "0", 16)),
  );
}
