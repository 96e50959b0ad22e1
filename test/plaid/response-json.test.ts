import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlaidClient } from '../../src/plaid/client.js';
import { classifyPlaidError } from '../../src/plaid/errors.js';
import { parseJsonBytes } from '../../src/plaid/response-json.js';

/** Every body takes the piecewise path: no size counts as small, runs as short as `pieceBytes`. */
const piecewise = (pieceBytes: number) => ({ largeBytes: 0, pieceBytes });

/** What `JSON.parse` makes of the text, or its error message. */
function reference(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function actual(bytes: Buffer, pieceBytes: number): { value: unknown } | { error: string } {
  try {
    return { value: parseJsonBytes(bytes, piecewise(pieceBytes)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Objects whose members are often arrays of objects, the shape of a Plaid page. */
const page = fc.dictionary(
  fc.string(),
  fc.oneof(fc.array(fc.jsonValue(), { maxLength: 12 }), fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 12 }), fc.jsonValue()),
);
const spacing = fc.constantFrom<string | number>(0, 1, 2, '\t', ' \r\n ');

describe('parseJsonBytes', () => {
  it('gives what JSON.parse gives for any document, however it is cut', () => {
    fc.assert(
      fc.property(fc.oneof(page, fc.jsonValue()), spacing, fc.integer({ min: 1, max: 300 }), (value, space, pieceBytes) => {
        const text = JSON.stringify(value, null, space);
        expect(actual(Buffer.from(text), pieceBytes)).toEqual(reference(text));
      }),
      { numRuns: 400 },
    );
  });

  it('throws what JSON.parse throws for a damaged document, and never takes one JSON.parse refuses', () => {
    const damage = fc.record({ at: fc.nat(), cut: fc.nat({ max: 3 }), insert: fc.constantFrom('', '"', '\\', ',', '[', ']', '{', '}', ':', ' ', 'x', '1') });
    fc.assert(
      fc.property(page, fc.array(damage, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 200 }), (value, damages, pieceBytes) => {
        let text = JSON.stringify(value);
        for (const { at, cut, insert } of damages) {
          const position = at % (text.length + 1);
          text = text.slice(0, position) + insert + text.slice(position + cut);
        }
        expect(actual(Buffer.from(text), pieceBytes)).toEqual(reference(text));
      }),
      { numRuns: 600 },
    );
  });

  it('keeps JSON.parse rules: "__proto__" is an own member, the last duplicate wins, a byte-order mark is dropped', () => {
    const text = '{"__proto__":[{"polluted":true}],"a":[1],"a":[2,3],"b":"é\\"]}"}';
    const parsed = parseJsonBytes(Buffer.from(`\uFEFF${text}`), piecewise(1)) as Record<string, unknown>;
    expect(parsed).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'a', 'b']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parses a large page in pieces to the same value', () => {
    const added = Array.from({ length: 600 }, (_, i) => ({
      transaction_id: `tx-${i}`,
      name: `Caf\u00e9 "${i}" \\ {}[],:`,
      amount: i * 1.25,
      counterparties: [{ name: 'a' }, { name: 'b' }],
      location: { city: null },
    }));
    const text = JSON.stringify({ accounts: [{ account_id: 'a' }], added, modified: [], removed: [{ transaction_id: 'x' }], next_cursor: 'c', has_more: false });
    expect(text.length).toBeGreaterThan(64 * 1024);
    expect(parseJsonBytes(Buffer.from(text))).toEqual(JSON.parse(text));
  });
});

describe('the Plaid client reading bodies as bytes', () => {
  let server: Server;
  let url: string;
  const answers = new Map<string, { status: number; type: string; body: string }>();
  beforeAll(async () => {
    server = createServer((request, response) => {
      const answer = answers.get(request.url ?? '')!;
      response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const client = () => createPlaidClient({ env: 'sandbox', clientId: 'id', secret: 'secret', baseUrl: url, timeoutMs: 5_000 });

  it('parses a large page and sanitises the text PostgreSQL cannot store', async () => {
    const names = Array.from({ length: 800 }, (_, i) => (i === 7 ? 'nul\u0000 and lone \ud800' : `merchant ${i} ${'x'.repeat(100)}`));
    const body = JSON.stringify({ accounts: [], item: { item_id: 'i' }, request_id: 'r', names });
    expect(body.length).toBeGreaterThan(64 * 1024);
    answers.set('/accounts/get', { status: 200, type: 'application/json', body });
    const { data } = await client().accountsGet({ access_token: 'access-sandbox-x' });
    const expected = names.map((name) => (name.startsWith('nul') ? 'nul and lone \ufffd' : name));
    expect((data as unknown as { names: string[] }).names).toEqual(expected);
  });

  it('hands a body that is not JSON on as its text, and the error is classified by its status', async () => {
    answers.set('/accounts/get', { status: 502, type: 'text/html', body: '<html>Bad Gateway</html>' });
    const error: unknown = await client().accountsGet({ access_token: 'access-sandbox-x' }).catch((caught: unknown) => caught);
    expect((error as { response: { data: unknown } }).response.data).toBe('<html>Bad Gateway</html>');
    expect(classifyPlaidError(error)).toMatchObject({ kind: 'transient', code: 'HTTP_502' });
  });

  it('reads Plaid error bodies as before', async () => {
    const plaidError = { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: 'login', request_id: 'req' };
    answers.set('/accounts/get', { status: 400, type: 'application/json', body: JSON.stringify(plaidError) });
    const error: unknown = await client().accountsGet({ access_token: 'access-sandbox-x' }).catch((caught: unknown) => caught);
    expect(classifyPlaidError(error)).toMatchObject({ code: 'ITEM_LOGIN_REQUIRED', requestId: 'req' });
  });
});
