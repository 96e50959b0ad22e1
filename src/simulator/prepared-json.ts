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

/** JSON text as bytes; pure ASCII (all generated data is) is copied byte for byte instead of UTF-8 encoded. */
export function jsonBytes(text: string): Buffer {
  return Buffer.from(text, Buffer.byteLength(text) === text.length ? 'latin1' : 'utf8');
}
