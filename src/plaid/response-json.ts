/**
 * `JSON.parse` for a body held as bytes, without one string of the whole body when it is large.
 *
 * V8 keeps every string over 128 KB in its large-object space, on memory mapped for that string alone
 * and unmapped once it dies. On the 2-core VMs this service is measured on, first touching freshly
 * mapped memory costs about 4 µs per KB, so decoding a 500-transaction `/transactions/sync` page
 * (~500 KB) to one string cost ~2 ms before `JSON.parse` even started: more than the parse itself.
 *
 * A large body whose top level is an object is parsed member by member, and a member that is an array
 * in runs of whole elements of about `pieceBytes`, each run decoded and parsed on its own: the strings
 * stay small, the values and their order are those `JSON.parse` gives. The cuts are found by a scan
 * that only tracks strings and nesting (every byte it looks for is ASCII, so a cut never splits a UTF-8
 * sequence). Anything the scan does not expect is left to `JSON.parse` of the whole text, so a
 * malformed body throws exactly the error `JSON.parse` throws.
 */
export interface ParseJsonBytesOptions {
  /** Bodies up to this size are parsed as one string (small strings cost nothing to allocate). */
  largeBytes?: number;
  /** The size of the runs of array elements parsed together. */
  pieceBytes?: number;
}

const LARGE_BYTES = 64 * 1024;
const PIECE_BYTES = 32 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The body did not have the shape the scan expects; the whole-text parse decides what it is. */
class Unexpected extends Error {}

function skipWhitespace(bytes: Buffer, at: number): number {
  let i = at;
  for (;;) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** `at` is an opening quote; returns the index after its closing quote. */
function endOfString(bytes: Buffer, at: number): number {
  let from = at + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) throw new Unexpected();
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** `at` starts a value; returns the index after it (a scalar ends before the next `,`, `}`, `]` or space). */
function endOfValue(bytes: Buffer, at: number): number {
  const first = bytes[at];
  if (first === QUOTE) return endOfString(bytes, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = at;
    for (;;) {
      const c = bytes[i];
      if (c === undefined || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        if (i === at) throw new Unexpected();
        return i;
      }
      i++;
    }
  }
  let depth = 0;
  let i = at;
  for (;;) {
    const c = bytes[i];
    if (c === undefined) throw new Unexpected();
    if (c === QUOTE) {
      i = endOfString(bytes, i);
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
}

function parseText(bytes: Buffer, start: number, end: number): unknown {
  return JSON.parse(bytes.toString('utf8', start, end));
}

/** `at` is a `[`; the elements are parsed in runs. Returns the array and the index after its `]`. */
function parseArray(bytes: Buffer, at: number, pieceBytes: number): [unknown[], number] {
  const values: unknown[] = [];
  let i = skipWhitespace(bytes, at + 1);
  if (bytes[i] === CLOSE_BRACKET) return [values, i + 1];
  let runStart = i;
  for (;;) {
    const end = endOfValue(bytes, i);
    const next = skipWhitespace(bytes, end);
    const last = bytes[next] === CLOSE_BRACKET;
    if (!last && bytes[next] !== COMMA) throw new Unexpected();
    if (last || end - runStart >= pieceBytes) {
      const run = JSON.parse(`[${bytes.toString('utf8', runStart, end)}]`) as unknown[];
      for (const value of run) values.push(value);
      if (last) return [values, next + 1];
      runStart = skipWhitespace(bytes, next + 1);
      i = runStart;
    } else {
      i = skipWhitespace(bytes, next + 1);
    }
  }
}

function parseLargeObject(bytes: Buffer, at: number, pieceBytes: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  let i = skipWhitespace(bytes, at + 1);
  if (bytes[i] === CLOSE_BRACE) return endOfDocument(bytes, i + 1, result);
  for (;;) {
    if (bytes[i] !== QUOTE) throw new Unexpected();
    const keyEnd = endOfString(bytes, i);
    const key = parseText(bytes, i, keyEnd) as string;
    i = skipWhitespace(bytes, keyEnd);
    if (bytes[i] !== COLON) throw new Unexpected();
    i = skipWhitespace(bytes, i + 1);
    let value: unknown;
    if (bytes[i] === OPEN_BRACKET) {
      [value, i] = parseArray(bytes, i, pieceBytes);
    } else {
      const end = endOfValue(bytes, i);
      value = parseText(bytes, i, end);
      i = end;
    }
    // As JSON.parse does: an own property even for "__proto__", the last of duplicate keys wins.
    Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true });
    i = skipWhitespace(bytes, i);
    if (bytes[i] === CLOSE_BRACE) return endOfDocument(bytes, i + 1, result);
    if (bytes[i] !== COMMA) throw new Unexpected();
    i = skipWhitespace(bytes, i + 1);
  }
}

function endOfDocument<T>(bytes: Buffer, at: number, value: T): T {
  if (skipWhitespace(bytes, at) !== bytes.length) throw new Unexpected();
  return value;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/** The body's bytes as `JSON.parse(text)` would read them (a leading UTF-8 byte-order mark dropped, as axios does). */
export function parseJsonBytes(body: Buffer, options: ParseJsonBytesOptions = {}): unknown {
  const bom = body[0] === UTF8_BOM[0] && body[1] === UTF8_BOM[1] && body[2] === UTF8_BOM[2];
  const bytes = bom ? body.subarray(3) : body;
  if (bytes.length <= (options.largeBytes ?? LARGE_BYTES)) return JSON.parse(bytes.toString('utf8'));
  const start = skipWhitespace(bytes, 0);
  if (bytes[start] === OPEN_BRACE) {
    try {
      return parseLargeObject(bytes, start, options.pieceBytes ?? PIECE_BYTES);
    } catch (error) {
      if (!(error instanceof Unexpected) && !(error instanceof SyntaxError)) throw error;
    }
  }
  return JSON.parse(bytes.toString('utf8'));
}
