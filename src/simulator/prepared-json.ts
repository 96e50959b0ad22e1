/**
 * A response body whose bulky leading members are already JSON bytes (e.g. a page of transactions
 * serialized ahead of the request). `body()` gives exactly what `JSON.stringify` would give for the
 * whole object — leading members first, then `rest`, then the extra members — so a client cannot
 * tell a prepared body from one serialized on the spot.
 */
export class PreparedJson<Rest extends object = object> {
  /**
   * @param leading the members' text without braces (`"a":[…],"b":1`), as bytes; never empty
   * @param rest the remaining members, none of them named like a leading one
   */
  constructor(
    readonly leading: Buffer,
    readonly rest: Rest,
  ) {}

  body(extra: Record<string, unknown>): Uint8Array<ArrayBuffer> {
    const tail = JSON.stringify({ ...this.rest, ...extra });
    return Buffer.concat([OPEN, this.leading, Buffer.from(tail === '{}' ? '}' : `,${tail.slice(1)}`)]);
  }
}

const OPEN = Buffer.from('{');

/** Array elements serialized per piece: small enough that no piece's text is a V8 large object. */
const ELEMENTS_PER_PIECE = 32;

/**
 * `"name":value,…` (the members `JSON.stringify(members)` would write, without braces) as UTF-8
 * bytes. Arrays are serialized a few elements at a time and every piece is written into one buffer:
 * a string over 128 KB is a V8 large object with memory pages of its own, which the kernel maps and
 * zeroes for every page of transactions (2 ms of CPU for a 600 KB page, where serializing it takes
 * 1.2 ms); pieces of a few KB come from the young generation.
 */
export function jsonMembers(members: Record<string, unknown>): Buffer {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(members)) {
    const text = Array.isArray(value) ? null : (JSON.stringify(value) as string | undefined);
    if (text === undefined) continue;
    parts.push(parts.length === 0 ? `${JSON.stringify(name)}:` : `,${JSON.stringify(name)}:`);
    if (text !== null) {
      parts.push(text);
      continue;
    }
    const list = value as unknown[];
    parts.push('[');
    for (let start = 0; start < list.length; start += ELEMENTS_PER_PIECE) {
      if (start > 0) parts.push(',');
      parts.push(JSON.stringify(list.slice(start, start + ELEMENTS_PER_PIECE)).slice(1, -1));
    }
    parts.push(']');
  }
  let length = 0;
  for (const part of parts) length += Buffer.byteLength(part);
  const bytes = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const part of parts) offset += bytes.write(part, offset);
  return bytes;
}
